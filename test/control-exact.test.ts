import { describe, expect, it } from "vitest";
import { EARLY_SOLVE_POSITIONS } from "../src/control/controller.js";
import { createExactController } from "../src/control/exact.js";
import { createFixedController } from "../src/control/fixed.js";
import { drive, meanOver } from "./plant.js";

// The plant's logit scale ramps 1 → 3 over steps 0–200, then holds (see plant.ts).
const plant = { rows: 4, vocab: 512, steps: 400, seed: 5 };
const target = 5;

describe("exact controller", () => {
  it("holds exact entropy at the target while a fixed T lets it collapse", () => {
    const fixed = drive(createFixedController(1), plant);
    const exact = drive(createExactController({ target }), plant);
    // Fixed T = 1: ≈ 5.7 nats at the start, ≈ 3.0 once the scale has tripled.
    expect(meanOver(fixed.entropy, 300)).toBeLessThan(target - 1.5);
    // Per-step entropy has sd ≈ 0.2 nats here; the mean over 4 rows × 100 steps is good to ≈ 0.02.
    expect(Math.abs(meanOver(exact.entropy, 300) - target)).toBeLessThan(0.05);
    // It also tracks during the ramp, after a transient of about 10 steps.
    expect(Math.abs(meanOver(exact.entropy, 20, 200) - target)).toBeLessThan(0.1);
    // It had to raise T to about s(t)·0.6 to do so.
    expect(meanOver(exact.temperature, 300)).toBeGreaterThan(1.5);
  });

  it("keeps one temperature per row and leaves estimate NaN", () => {
    const trace = drive(createExactController({ target }), plant);
    const last = trace.temperature[399]!;
    expect(new Set(last).size).toBe(4);
    expect(trace.estimate.flat().every(Number.isNaN)).toBe(true);
  });

  it("holds T during warmup, then acts", () => {
    const trace = drive(createExactController({ target, warmup: 5, tInit: 0.8 }), plant);
    for (let t = 0; t <= 5; t++) expect(trace.temperature[t]).toEqual(new Array(4).fill(Math.fround(0.8)));
    expect(trace.temperature[6]![0]).not.toBeCloseTo(0.8, 6);
  });

  it("counts saturation while the target is out of reach, and resets it", () => {
    const c = createExactController({ target, tMin: 0.01, tMax: 0.02 });
    const seen: number[] = [];
    drive(c, { ...plant, steps: 20, observe: () => seen.push(c.saturation) });
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    c.reset?.();
    expect(c.saturation).toBe(0);
  });

  it("reports no saturation inside the range", () => {
    const c = createExactController({ target });
    drive(c, plant);
    expect(c.saturation).toBe(0);
  });

  it("starts over after reset", () => {
    const c = createExactController({ target });
    const first = drive(c, { ...plant, steps: 30 });
    c.reset?.();
    const again = drive(c, { ...plant, steps: 30 });
    expect(again.temperature).toEqual(first.temperature);
  });
});

describe("exact's first positions", () => {
  it("solves every row to target − offset(t) for the first EARLY_SOLVE_POSITIONS positions, then leaves it to feedback", () => {
    const offset = (t: number) => 0.07 * t;
    const trace = drive(createExactController({ target, offset }), plant);
    for (let t = 0; t < EARLY_SOLVE_POSITIONS; t++) for (const h of trace.entropy[t]!) expect(Math.abs(h - (target - offset(t)))).toBeLessThan(1e-3);
    const after = trace.entropy[EARLY_SOLVE_POSITIONS]!;
    expect(after.some((h) => Math.abs(h - (target - offset(EARLY_SOLVE_POSITIONS))) > 1e-3)).toBe(true);
  });
});
