import { describe, expect, it } from "vitest";
import { createMirostat } from "../src/sampling/mirostat.js";
import { createStep } from "../src/sampling/step.js";
import { drive, meanOver } from "./plant.js";

describe("mirostat v2", () => {
  it("drops tokens whose surprise exceeds mu = 2·tau at the start, keeping the best", () => {
    // Probabilities 0.5, 0.3, 0.15, 0.05: surprises 0.69, 1.20, 1.90, 3.00 nats.
    const z = Float32Array.from([0.5, 0.3, 0.15, 0.05].map(Math.log));
    const kept = (tau: number) => {
      const step = createStep(z, 1, 4, 0);
      createMirostat({ tau }).apply(step);
      return { ids: [...step.scores.keys()].filter((i) => step.scores[i] !== -Infinity), estimate: step.estimate[0]! };
    };
    expect(kept(1).ids).toEqual([0, 1, 2]);
    expect(kept(0.7).ids).toEqual([0, 1]);
    expect(kept(0.1).ids).toEqual([0]);
    expect(kept(0.1).estimate).toBeCloseTo(0, 6);
    const h = -(0.625 * Math.log(0.625) + 0.375 * Math.log(0.375));
    expect(kept(0.7).estimate).toBeCloseTo(h, 5);
  });

  it("moves mu on accept by −eta·(surprise − tau) and forgets it on reset", () => {
    const z = Float32Array.from([0.5, 0.3, 0.15, 0.05].map(Math.log));
    const m = createMirostat({ tau: 1, eta: 1 });
    const step = createStep(z, 1, 4, 0);
    m.apply(step);
    step.tokens[0] = 0;
    step.logprobs[0] = Math.log(0.1); // surprise 2.30 > tau: mu = 2 − 1.30 = 0.70
    m.accept?.(step.tokens, step);
    const next = createStep(z, 1, 4, 1);
    m.apply(next);
    expect([...next.scores].filter((s) => s !== -Infinity).length).toBe(1);
    m.reset?.();
    const fresh = createStep(z, 1, 4, 2);
    m.apply(fresh);
    expect([...fresh.scores].filter((s) => s !== -Infinity).length).toBe(3);
  });

  it("brings the observed mean surprise to tau while the logit scale drifts", () => {
    // tau must be reachable: at the plant's final scale the untruncated entropy is ≈ 3 nats.
    const tau = 2;
    const trace = drive(createMirostat({ tau }), { rows: 4, vocab: 512, steps: 800, seed: 11 });
    // 4 rows × 600 steps; per-token surprise has sd ≈ 1.5 nats, so the mean is good to ≈ 0.04.
    expect(Math.abs(meanOver(trace.surprise, 200) - tau)).toBeLessThan(0.1);
  });

  it("validates tau, eta and temperature", () => {
    expect(() => createMirostat({ tau: 0 })).toThrow(/tau/);
    expect(() => createMirostat({ tau: 1, eta: 0 })).toThrow(/eta/);
    expect(() => createMirostat({ tau: 1, temperature: -1 })).toThrow(/temperature/);
  });
});
