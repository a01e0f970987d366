import { describe, expect, it } from "vitest";
import { EARLY_SOLVE_POSITIONS } from "../src/control/controller.js";
import { createFixedController } from "../src/control/fixed.js";
import { createMarginalController } from "../src/control/marginal.js";
import { entropyOf } from "../src/sampling/entropy.js";
import { createRng } from "../src/sampling/rng.js";
import { createStep } from "../src/sampling/step.js";
import { drive, fillGaussian, meanOver } from "./plant.js";

// Four rows with independent logits: their marginal exceeds each row's conditional entropy.
const plant = { rows: 4, vocab: 512, steps: 400, seed: 8 };
const target = 5.5;

describe("marginal controller", () => {
  it("holds the batch's marginal entropy at the target while a fixed T drifts away", () => {
    const fixed = drive(createFixedController(1), plant);
    const marginal = drive(createMarginalController({ target }), plant);
    expect(meanOver(fixed.marginal, 300)).toBeLessThan(target - 1);
    expect(Math.abs(meanOver(marginal.marginal, 300) - target)).toBeLessThan(0.05);
    // The rows' own entropies sit below: marginal ≥ mean conditional.
    expect(meanOver(marginal.entropy, 300)).toBeLessThan(target - 0.3);
  });

  it("uses one temperature for all rows and reports the last marginal as the estimate", () => {
    const trace = drive(createMarginalController({ target }), plant);
    for (const row of trace.temperature) expect(new Set(row).size).toBe(1);
    expect(trace.estimate[0]!.every(Number.isNaN)).toBe(true);
    expect(trace.estimate[10]![2]).toBeCloseTo(trace.marginal[9]!, 5);
  });

  it("solves the first token exactly: the batch's marginal at t = 0 is the target to 1e-3 nats (every row shares the prompt)", () => {
    // The plant's rows differ at t = 0; a real prompt's do not, so give every row row 0's logits.
    const c = createMarginalController({ target: 4.5, offset: () => 0 });
    const logits = fillGaussian(createRng(2), new Float32Array(512)).map((v) => 3 * v);
    const step = createStep(
      new Float32Array(4 * 512).map((_, i) => logits[i % 512]!),
      4,
      512,
      0,
    );
    c.apply(step);
    for (let b = 0; b < 4; b++) expect(Math.abs(entropyOf(logits, step.temperature[b]!) - 4.5)).toBeLessThan(1e-3);
  });

  it("holds T during warmup while observing", () => {
    // From past the exactly solved positions, so that only feedback could move T.
    const trace = drive(createMarginalController({ target, warmup: 3 }), { ...plant, firstPosition: EARLY_SOLVE_POSITIONS });
    const first = trace.temperature[0]![0]!;
    expect(
      trace.temperature
        .slice(0, 4)
        .flat()
        .every((t) => t === first),
    ).toBe(true);
    expect(trace.estimate[3]![0]).toBeCloseTo(trace.marginal[2]!, 5);
    expect(trace.temperature[4]![0]).not.toBe(first);
  });

  it("counts saturation at a clamp and resets it", () => {
    const c = createMarginalController({ target, tMin: 0.01, tMax: 0.02 });
    drive(c, { ...plant, steps: 12 });
    expect(c.saturation).toBe(12);
    c.reset?.();
    expect(c.saturation).toBe(0);
  });
});
