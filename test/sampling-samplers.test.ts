import { describe, expect, it } from "vitest";
import { createChain } from "../src/sampling/chain.js";
import { createDraw } from "../src/sampling/draw.js";
import { entropyOf } from "../src/sampling/entropy.js";
import { createRng } from "../src/sampling/rng.js";
import type { Sampler } from "../src/sampling/sampler.js";
import { createStep } from "../src/sampling/step.js";
import { createTemperature } from "../src/sampling/temperature.js";

describe("chain", () => {
  const recorder = (name: string, log: string[], hooks = true): Sampler => ({
    name,
    apply: () => void log.push(`apply ${name}`),
    ...(hooks && {
      accept: (tokens: Int32Array) => void log.push(`accept ${name} ${tokens[0]}`),
      reset: () => void log.push(`reset ${name}`),
    }),
  });

  it("applies in order and fans accept and reset out to every member", () => {
    const log: string[] = [];
    const chain = createChain([recorder("a", log), recorder("quiet", log, false), recorder("b", log)]);
    const step = createStep(new Float32Array(2), 1, 2, 0);
    chain.apply(step);
    chain.accept?.(Int32Array.from([7]), step);
    chain.reset?.();
    expect(log).toEqual(["apply a", "apply quiet", "apply b", "accept a 7", "accept b 7", "reset a", "reset b"]);
    expect(chain.name).toBe("chain(a,quiet,b)");
  });
});

describe("temperature", () => {
  it("writes scores = logits / T and T for active rows only", () => {
    const step = createStep(Float32Array.from([2, 4, 6, 8]), 2, 2, 0, Uint8Array.from([1, 0]));
    createTemperature(2).apply(step);
    expect([...step.scores]).toEqual([1, 2, 6, 8]);
    expect([...step.temperature]).toEqual([2, 1]);
    expect([...step.logits]).toEqual([2, 4, 6, 8]);
  });

  it("rejects a temperature that is not finite and > 0", () => {
    for (const t of [0, -1, Number.NaN, Infinity]) expect(() => createTemperature(t)).toThrow(/temperature/);
  });
});

describe("draw", () => {
  it("writes probs, exact entropy, token and its logprob", () => {
    const z = Float32Array.from([0, 1, 2, -Infinity]);
    const step = createStep(z, 1, 4, 0);
    createDraw(createRng(3)).apply(step);
    const token = step.tokens[0]!;
    expect(step.probs.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    expect(step.probs[3]).toBe(0);
    expect(step.entropy[0]).toBeCloseTo(entropyOf(z, 1), 6);
    expect(token).toBeGreaterThanOrEqual(0);
    expect(token).toBeLessThan(3);
    expect(step.logprobs[0]).toBeCloseTo(Math.log(step.probs[token]!), 6);
  });

  it("draws rows in order, one uniform per active row, -1 for inactive rows", () => {
    const z = Float32Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    const step = createStep(z, 3, 4, 0, Uint8Array.from([1, 0, 1]));
    createDraw(createRng(9)).apply(step);
    const rng = createRng(9);
    const expected = [Math.floor(rng.next() * 4), -1, Math.floor(rng.next() * 4)];
    expect([...step.tokens]).toEqual(expected);
    expect(step.entropy[1]).toBeNaN();
  });

  it("replays exactly from a seed", () => {
    const run = () => {
      const draw = createDraw(createRng(123));
      return Array.from({ length: 50 }, (_, t) => {
        const step = createStep(
          Float32Array.from({ length: 16 }, (_, i) => Math.sin(i * (t + 1))),
          2,
          8,
          t,
        );
        draw.apply(step);
        return [...step.tokens];
      });
    };
    expect(run()).toEqual(run());
  });
});
