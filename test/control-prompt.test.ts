/**
 * The pieces that make one `target` mean the 30-row marginal for the caller's own prompt: the
 * exact first-token solve, the per-target tables, the k-row marginal, and the offsets the
 * prompt-aware schedule and the marginal controller aim with (sign errors there must fail).
 */
import { describe, expect, it } from "vitest";
import { EARLY_SOLVE_POSITIONS, EARLY_SOLVE_WITHIN, solveRowTemperature } from "../src/control/controller.js";
import { createExactController } from "../src/control/exact.js";
import { createMarginalController, divergenceScale, SCALE_MAX, SCALE_PRIOR } from "../src/control/marginal.js";
import { createPromptScheduleController } from "../src/control/prompt-schedule.js";
import { createScheduleSet, temperatureAt } from "../src/control/schedule.js";
import { tableAtTarget, validateTargetTable } from "../src/control/target-table.js";
import { entropyOf } from "../src/sampling/entropy.js";
import { groupMarginalEntropy, marginalEntropy, meanConditionalEntropy } from "../src/sampling/marginal.js";
import { createRng } from "../src/sampling/rng.js";
import { activeRowsIdentical, marginalEntropyAndSlope, temperatureForMarginalEntropy } from "../src/sampling/solve-marginal-temperature.js";
import { entropyAndSlope, newtonOnLogT, solveTemperature, temperatureForEntropy } from "../src/sampling/solve-temperature.js";
import { createStep } from "../src/sampling/step.js";
import { drive, fillGaussian, meanOver } from "./plant.js";

describe("temperatureForEntropy", () => {
  const z = fillGaussian(createRng(3), new Float32Array(4096)).map((v) => 4 * v);
  it.each([0.5, 2, 3.5, 5, 6.5, 8])("hits target %f nats to 1e-3", (target) => {
    const T = temperatureForEntropy(z, target, 0.001, 100);
    expect(Math.abs(entropyOf(z, T) - target)).toBeLessThan(1e-3);
  });
  it("returns the clamp whose end the target lies beyond", () => {
    expect(temperatureForEntropy(z, 8.3, 0.05, 1)).toBe(1);
    expect(temperatureForEntropy(z, 0, 0.05, 1)).toBe(0.05);
  });
  it("Newton's steps land where bisection does, to 1e-4 nats, on peaked, flat and filtered rows", () => {
    const peaked = z.map((v) => 5 * v);
    const filtered = z.map((v, i) => (i % 3 === 0 ? -Infinity : v));
    for (const row of [z, peaked, filtered]) {
      for (const target of [0.3, 2.5, 6]) {
        const { temperature: T, passes } = solveTemperature(row, target, 0.001, 100);
        // the last step is taken unevaluated once a pass misses by < 1e-2: its error is second order
        expect(Math.abs(entropyOf(row, T) - target)).toBeLessThan(1e-4);
        // Newton from T = 1: a handful of passes where bisection takes 40
        expect(passes).toBeLessThanOrEqual(12);
        // bisection's answer, 60 halvings of the same bracket in log T
        let [lo, hi] = [Math.log(0.001), Math.log(100)];
        for (let k = 0; k < 60; k++) [lo, hi] = entropyOf(row, Math.exp((lo + hi) / 2)) < target ? [(lo + hi) / 2, hi] : [lo, (lo + hi) / 2];
        expect(Math.abs(entropyOf(row, Math.exp(lo)) - entropyOf(row, T))).toBeLessThan(1e-4);
      }
    }
  });
  it("a warm start near the answer costs a few passes: the bracket's ends are evaluated only when a step points past them", () => {
    for (const target of [2.5, 5, 7]) {
      const cold = solveTemperature(z, target, 0.001, 100);
      const warm = solveTemperature(z, target, 0.001, 100, cold.temperature * 1.05);
      expect(Math.abs(entropyOf(z, warm.temperature) - target)).toBeLessThan(1e-4);
      expect(warm.passes).toBeLessThanOrEqual(2);
      expect(warm.passes).toBeLessThanOrEqual(cold.passes);
      // started five times too cold, it costs more: the start is where the solve begins
      expect(solveTemperature(z, target, 0.001, 100, cold.temperature / 5).passes).toBeGreaterThan(warm.passes);
    }
    // a target beyond an end: Newton steps to that end, sees the target still beyond it, and clamps
    const above = solveTemperature(z, 8.3, 0.05, 1, 0.9);
    expect(above).toEqual({ temperature: 1, passes: 2 });
    const below = solveTemperature(z, 0, 0.05, 1, 0.06);
    expect(below.temperature).toBe(0.05);
    expect(below.passes).toBe(2);
  });
  it("the slope it steps by is the variance of the scaled logits: dH/dlog T by finite difference", () => {
    for (const T of [0.3, 1, 2.7]) {
      const h = 1e-5;
      const numeric = (entropyOf(z, T * Math.exp(h)) - entropyOf(z, T * Math.exp(-h))) / (2 * h);
      expect(entropyAndSlope(z, T).slope).toBeCloseTo(numeric, 4);
      expect(entropyAndSlope(z, T).entropy).toBeCloseTo(entropyOf(z, T), 10);
    }
  });
  it("the curvature Halley steps by is d²H/dlog T² by finite difference, and the ceiling is ln of the finite logits", () => {
    const filtered = z.map((v, i) => (i % 4 === 0 ? -Infinity : v));
    for (const row of [z, filtered]) {
      for (const T of [0.3, 1, 2.7]) {
        const h = 1e-3;
        const slope = (u: number) => entropyAndSlope(row, T * Math.exp(u)).slope;
        const numeric = (slope(h) - slope(-h)) / (2 * h);
        expect(Math.abs(entropyAndSlope(row, T).curvature - numeric)).toBeLessThan(1e-4 * Math.max(1, Math.abs(numeric)));
      }
    }
    expect(entropyAndSlope(filtered, 1).ceiling).toBeCloseTo(Math.log(3072), 12);
  });
  it("Halley on the stretched entropy takes fewer passes than Newton on H, from cold and from far starts, to the same 1e-4", () => {
    const peaked = z.map((v) => 5 * v);
    const newtonOnly = (row: Float32Array) => (t: number) => {
      const { entropy, slope } = entropyAndSlope(row, t);
      return { entropy, slope };
    };
    let [halley, newton] = [0, 0];
    for (const row of [z, peaked]) {
      for (const target of [0.3, 2.5, 5, 7]) {
        const answer = solveTemperature(row, target, 0.001, 100).temperature;
        for (const start of [undefined, answer / 5, answer * 5]) {
          const fast = solveTemperature(row, target, 0.001, 100, start);
          const plain = newtonOnLogT(newtonOnly(row), target, 0.001, 100, start);
          expect(Math.abs(entropyOf(row, fast.temperature) - target)).toBeLessThan(1e-4);
          expect(Math.abs(entropyOf(row, plain.temperature) - target)).toBeLessThan(1e-4);
          expect(fast.passes).toBeLessThanOrEqual(plain.passes + 1);
          halley += fast.passes;
          newton += plain.passes;
        }
      }
    }
    // measured 126 → 81 passes over these 24 solves; the real rows' first ten positions: 3.53 → 2.42 per solve
    expect(halley).toBeLessThan(0.8 * newton);
  });
});

describe("groupMarginalEntropy", () => {
  const rows = 6;
  const vocab = 8;
  const probs = new Float32Array(rows * vocab);
  // Row b puts all its mass on token b mod 3: rows 0-2 differ, rows 3-5 repeat them.
  for (let b = 0; b < rows; b++) probs[b * vocab + (b % 3)] = 1;
  it("is the mean conditional at k = 1 and the batch marginal at k = rows", () => {
    expect(groupMarginalEntropy(probs, rows, vocab, 1)).toBeCloseTo(meanConditionalEntropy(probs, rows, vocab), 12);
    expect(groupMarginalEntropy(probs, rows, vocab, rows)).toBeCloseTo(marginalEntropy(probs, rows, vocab), 12);
  });
  it("averages whole consecutive groups and leaves a remainder out", () => {
    // k = 2: groups {0,1}, {2,3}, {4,5} each hold two distinct tokens: ln 2.
    expect(groupMarginalEntropy(probs, rows, vocab, 2)).toBeCloseTo(Math.log(2), 12);
    // k = 4: one group {0,1,2,3} with tokens 0,1,2,0: −(½ ln ½ + 2·¼ ln ¼).
    expect(groupMarginalEntropy(probs, rows, vocab, 4)).toBeCloseTo(0.5 * Math.log(2) + 0.5 * Math.log(4), 12);
    expect(groupMarginalEntropy(probs, rows, vocab, 7)).toBeNaN();
  });
});

describe("target tables", () => {
  const table = {
    targets: [3, 5],
    positions: [0, 100],
    values: [
      [0, 2],
      [0, 1],
    ],
  };
  it("interpolate linearly in target and position, holding the ends", () => {
    expect(tableAtTarget(table, 3)(50)).toBeCloseTo(1, 12);
    expect(tableAtTarget(table, 4)(100)).toBeCloseTo(1.5, 12);
    expect(tableAtTarget(table, 4.5)(50)).toBeCloseTo(0.625, 12);
    expect(tableAtTarget(table, 2)(1000)).toBeCloseTo(2, 12);
    expect(tableAtTarget(table, 9)(1000)).toBeCloseTo(1, 12);
  });
  it("reject tables that do not fit together, naming the field", () => {
    expect(() => validateTargetTable({ ...table, targets: [5, 3] }, "offsets")).toThrow(/^offsets\.targets/);
    expect(() => validateTargetTable({ ...table, values: [[0, 2]] }, "offsets")).toThrow(/^offsets\.values must have one row per target/);
    expect(() =>
      validateTargetTable(
        {
          ...table,
          values: [
            [0, 2],
            [0, Number.NaN],
          ],
        },
        "offsets",
      ),
    ).toThrow(/^offsets\.values\[1\]/);
  });
});

describe("prompt-aware schedule", () => {
  const schedules = createScheduleSet([
    { target: 3, positions: [0], temperatures: [0.7] },
    { target: 6, positions: [0], temperatures: [1.2] },
  ]);
  const plant = { rows: 3, vocab: 512, steps: 400, seed: 4 };

  it("solves the first token exactly: its entropy is the target to 1e-3 nats, whatever the fitted T(0)", () => {
    for (const target of [3.5, 5]) {
      const trace = drive(createPromptScheduleController({ schedules, target }), { ...plant, steps: 1 });
      for (const h of trace.entropy[0]!) expect(Math.abs(h - target)).toBeLessThan(1e-3);
    }
  });

  it("with an offset, solves every row's first EARLY_SOLVE_POSITIONS positions to target − offset(t), then runs the fitted T with feedback", () => {
    const offset = (t: number) => 0.06 * t;
    const trace = drive(createPromptScheduleController({ schedules, target: 5, gain: 0.1, offset }), plant);
    for (let t = 0; t < EARLY_SOLVE_POSITIONS; t++) for (const h of trace.entropy[t]!) expect(Math.abs(h - (5 - offset(t)))).toBeLessThan(1e-3);
    // past them the entropy is no longer pinned: the fitted T and feedback steer
    const after = trace.entropy[EARLY_SOLVE_POSITIONS]!;
    expect(after.some((h) => Math.abs(h - (5 - offset(EARLY_SOLVE_POSITIONS))) > 1e-3)).toBe(true);
  });

  it("hands feedback the mean of a row's solved corrections, not the last one's", () => {
    const target = 5;
    const trace = drive(createPromptScheduleController({ schedules, target, gain: 0.1, offset: (t) => 0.06 * t }), plant);
    const fitted = (t: number) => temperatureAt(schedules, target, t);
    for (let b = 0; b < plant.rows; b++) {
      const solved = Array.from({ length: EARLY_SOLVE_POSITIONS }, (_, t) => Math.log(trace.temperature[t]![b]! / fitted(t)));
      const mean = solved.reduce((x, y) => x + y, 0) / EARLY_SOLVE_POSITIONS;
      expect(trace.temperature[EARLY_SOLVE_POSITIONS]![b]! / (fitted(EARLY_SOLVE_POSITIONS) * Math.exp(mean))).toBeCloseTo(1, 5);
      // the corrections differ by position, so carrying the last one would fail the line above
      expect(Math.abs(solved.at(-1)! - mean)).toBeGreaterThan(1e-3);
    }
  });

  it("aims each row's conditional entropy at target − offset(t): a wrong-signed offset misses by 2·offset", () => {
    const target = 5;
    const offset = 0.8;
    const trace = drive(createPromptScheduleController({ schedules, target, gain: 0.1, offset: () => offset }), plant);
    expect(Math.abs(meanOver(trace.entropy, 200) - (target - offset))).toBeLessThan(0.1);
  });

  it("a row first seen mid-generation (a fallback taking over) is solved for target − offset(t)", () => {
    const z = fillGaussian(createRng(9), new Float32Array(512)).map((v) => 3 * v);
    const step = createStep(z, 1, 512, 50);
    createPromptScheduleController({ schedules, target: 5, offset: (t) => t / 100 }).apply(step);
    expect(Math.abs(entropyOf(z, step.temperature[0]!) - 4.5)).toBeLessThan(1e-3);
    const open = createStep(z, 1, 512, 50);
    createPromptScheduleController({ schedules, target: 4.5 }).apply(open);
    expect(open.temperature[0]).toBeCloseTo(Math.sqrt(0.7 * 1.2), 5);
  });

  it("without an offset runs the fitted T(t) times the prompt's first-token correction", () => {
    const trace = drive(createPromptScheduleController({ schedules, target: 4.5 }), plant);
    // Each row carries its own first-token correction (the plant's rows differ from t = 0 on).
    const first = trace.temperature[0]!;
    for (const row of trace.temperature.slice(1)) expect([...row].map((T, b) => T - first[b]!).every((d) => Math.abs(d) < 1e-5)).toBe(true);
    expect(new Set(first).size).toBe(plant.rows);
  });
});

describe("marginal controller on the 30-row scale", () => {
  it("aims the batch at target − offset(t), the expected 30-row − n-row gap", () => {
    const plant = { rows: 4, vocab: 512, steps: 400, seed: 8 };
    const trace = drive(createMarginalController({ target: 5.5, offset: () => 0.6 }), plant);
    expect(Math.abs(meanOver(trace.marginal, 300) - 4.9)).toBeLessThan(0.05);
  });

  it("solves the batch's T for its marginal to target − offset(t) over the first EARLY_SOLVE_POSITIONS positions, then leaves it to feedback", () => {
    const plant = { rows: 4, vocab: 512, steps: 40, seed: 8 };
    const offset = (t: number) => 0.05 * t;
    const trace = drive(createMarginalController({ target: 5.5, offset }), plant);
    for (let t = 0; t < EARLY_SOLVE_POSITIONS; t++) expect(Math.abs(trace.marginal[t]! - (5.5 - offset(t)))).toBeLessThan(1e-3);
    expect(Math.abs(trace.marginal[EARLY_SOLVE_POSITIONS]! - (5.5 - offset(EARLY_SOLVE_POSITIONS)))).toBeGreaterThan(1e-3);
  });
});

describe("the batch's divergence scale of the fitted gap", () => {
  it("is the batch's marginal − conditional over the pooled spread − offset, shrunk by the prior and clamped", () => {
    expect(divergenceScale(4, 3, 2, 1)).toBeCloseTo(1, 12);
    expect(divergenceScale(4.5, 3, 2, 1)).toBeCloseTo((1.5 + SCALE_PRIOR) / (1 + SCALE_PRIOR), 12);
    expect(divergenceScale(3.2, 3, 2, 1)).toBeCloseTo((0.2 + SCALE_PRIOR) / (1 + SCALE_PRIOR), 12);
    // At t = 0 every row shares the prompt and both gaps are 0: no evidence, scale 1.
    expect(divergenceScale(3, 3, 0, 0)).toBe(1);
    expect(divergenceScale(9, 3, 1.2, 1)).toBe(SCALE_MAX);
    expect(divergenceScale(2.9, 3, 2, 1)).toBe(0);
    expect(divergenceScale(Number.NaN, 3, 2, 1)).toBe(1);
    expect(divergenceScale(4, 3, 1, 2)).toBe(1);
  });

  it("aims the batch at target − s·offset(t), s its own divergence: a batch diverging twice as fast as the pooled curve aims twice as far below", () => {
    const plant = { rows: 4, vocab: 512, steps: 400, seed: 8 };
    const offset = 0.6;
    // The plant's own marginal − conditional at this aim, measured with the unscaled gap.
    const plain = drive(createMarginalController({ target: 5.5, offset: () => offset }), plant);
    const divergence = meanOver(plain.marginal, 100) - meanOver(plain.entropy, 100);
    // A pooled spread − offset of half that: the batch diverges twice as fast as the pooled prompts.
    const spread = offset + divergence / 2;
    const trace = drive(createMarginalController({ target: 5.5, offset: () => offset, spread: () => spread }), plant);
    const scales = trace.marginal.map((h, t) => divergenceScale(h, meanOver(trace.entropy[t]!, 0), spread, offset));
    const s = meanOver(scales, 100);
    expect(s).toBeGreaterThan(1.6);
    expect(Math.abs(meanOver(trace.marginal, 100) - (5.5 - s * offset))).toBeLessThan(0.05);
    expect(meanOver(trace.marginal, 100)).toBeLessThan(meanOver(plain.marginal, 100) - 0.3);
  });

  it("solves the first EARLY_SOLVE_POSITIONS positions to target − s·offset(t), s measured at the step before", () => {
    const plant = { rows: 4, vocab: 512, steps: EARLY_SOLVE_POSITIONS, seed: 8 };
    const offset = (t: number) => 0.05 * t;
    const spread = (t: number) => 0.12 * t;
    const trace = drive(createMarginalController({ target: 5.5, offset, spread }), plant);
    const scales = trace.marginal.map((h, t) => divergenceScale(h, meanOver(trace.entropy[t]!, 0), spread(t), offset(t)));
    expect(scales.slice(1).some((s) => Math.abs(s - 1) > 0.2)).toBe(true);
    expect(Math.abs(trace.marginal[0]! - 5.5)).toBeLessThan(1e-3);
    for (let t = 1; t < EARLY_SOLVE_POSITIONS; t++) expect(Math.abs(trace.marginal[t]! - (5.5 - scales[t - 1]! * offset(t)))).toBeLessThan(1e-3);
  });

  it("without a fitted offset there is nothing to scale: spread alone changes nothing", () => {
    const plant = { rows: 4, vocab: 512, steps: 60, seed: 8 };
    const a = drive(createMarginalController({ target: 5.5 }), plant);
    const b = drive(createMarginalController({ target: 5.5, spread: () => 0.1 }), plant);
    expect(b.temperature).toEqual(a.temperature);
  });
});

describe("early solves: the first position to full precision, warm ones to EARLY_SOLVE_WITHIN", () => {
  it("a row's cold solve holds its aim to 1e-6 nats; a warm one from its last T within the tolerance's reach", () => {
    const z = fillGaussian(createRng(12), new Float32Array(4096)).map((v) => 4 * v);
    for (const aim of [2, 3.5, 5, 6.5]) {
      expect(Math.abs(entropyOf(z, solveRowTemperature(z, aim, 0.001, 100)) - aim)).toBeLessThan(1e-6);
      expect(Math.abs(entropyOf(z, solveRowTemperature(z, aim, 0.001, 100, 1.3)) - aim)).toBeLessThan(EARLY_SOLVE_WITHIN);
    }
  });
  it("marginal: the batch's first position holds the target to 1e-6 nats", () => {
    for (const seed of [8, 9, 10]) {
      const trace = drive(createMarginalController({ target: 5.5, offset: (t) => 0.05 * t }), { rows: 4, vocab: 512, steps: 1, seed });
      expect(Math.abs(trace.marginal[0]! - 5.5)).toBeLessThan(1e-6);
    }
  });
});

describe("temperatureForMarginalEntropy", () => {
  const rows = 3;
  const vocab = 600;
  const logits = fillGaussian(createRng(11), new Float32Array(rows * vocab)).map((v, i) => (i % 7 === 0 ? -Infinity : 3 * v));
  const all = new Uint8Array(rows).fill(1);
  it("hits the batch's marginal entropy to 1e-4 nats in a few passes, active rows only", () => {
    // at T → 0 three rows' argmaxes mix to about ln 3 nats: targets above it
    for (const target of [1.5, 4, 6]) {
      const { temperature, passes } = temperatureForMarginalEntropy(logits, rows, vocab, all, target, 0.001, 100);
      expect(Math.abs(marginalEntropyAndSlope(logits, rows, vocab, all, temperature).entropy - target)).toBeLessThan(1e-4);
      expect(passes).toBeLessThanOrEqual(8);
    }
    const two = Uint8Array.from([1, 0, 1]);
    const { temperature } = temperatureForMarginalEntropy(logits, rows, vocab, two, 4, 0.001, 100);
    expect(marginalEntropyAndSlope(logits, rows, vocab, two, temperature).entropy).toBeCloseTo(4, 4);
    expect(marginalEntropyAndSlope(logits, rows, vocab, all, temperature).entropy).not.toBeCloseTo(4, 3);
  });
  it("rows that hold the same logits (a request's first position) are solved as the one row they are", () => {
    const same = new Float32Array(rows * vocab);
    for (let b = 0; b < rows; b++) same.set(logits.subarray(0, vocab), b * vocab);
    expect(activeRowsIdentical(same, rows, vocab, all)).toBe(true);
    const solo = solveTemperature(same.subarray(0, vocab), 4, 0.001, 100);
    const batch = temperatureForMarginalEntropy(same, rows, vocab, all, 4, 0.001, 100);
    expect(batch).toEqual(solo);
    expect(Math.abs(marginalEntropyAndSlope(same, rows, vocab, all, batch.temperature).entropy - 4)).toBeLessThan(1e-4);
    // One entry apart is another batch; a differing row that is not active does not count.
    const apart = same.slice();
    apart[2 * vocab + vocab - 1] = apart[vocab - 1]! + 1;
    expect(activeRowsIdentical(apart, rows, vocab, all)).toBe(false);
    expect(activeRowsIdentical(apart, rows, vocab, Uint8Array.from([1, 1, 0]))).toBe(true);
    expect(activeRowsIdentical(apart, rows, vocab, Uint8Array.from([0, 0, 0]))).toBe(false);
    const firstApart = same.slice();
    firstApart[vocab] = 5; // row 0 holds −∞ there: a filtered token in one row only
    expect(activeRowsIdentical(firstApart, rows, vocab, all)).toBe(false);
    expect(activeRowsIdentical(logits, rows, vocab, all)).toBe(false);
  });
  it("one active row is one row's entropy; the slope is dH/dlog T by finite difference", () => {
    const one = Uint8Array.from([0, 1, 0]);
    expect(marginalEntropyAndSlope(logits, rows, vocab, one, 1.3).entropy).toBeCloseTo(entropyOf(logits.subarray(vocab, 2 * vocab), 1.3), 10);
    for (const T of [0.4, 1, 2.5]) {
      const h = 1e-5;
      const numeric = (marginalEntropyAndSlope(logits, rows, vocab, all, T * Math.exp(h)).entropy - marginalEntropyAndSlope(logits, rows, vocab, all, T * Math.exp(-h)).entropy) / (2 * h);
      expect(marginalEntropyAndSlope(logits, rows, vocab, all, T).slope).toBeCloseTo(numeric, 4);
    }
  });
});

describe("exact controller on the 30-row scale", () => {
  it("solves each row's first token exactly for the target (at t = 0 the marginal is the row's entropy)", () => {
    const trace = drive(createExactController({ target: 4.5, offset: (t) => (t === 0 ? 0 : 1) }), { rows: 3, vocab: 512, steps: 1, seed: 6 });
    for (const h of trace.entropy[0]!) expect(Math.abs(h - 4.5)).toBeLessThan(1e-3);
  });

  it("aims each row's conditional entropy at target − offset(t): a wrong-signed offset misses by 2·offset", () => {
    const plant = { rows: 3, vocab: 512, steps: 400, seed: 5 };
    const trace = drive(createExactController({ target: 5, offset: () => 0.8 }), plant);
    expect(Math.abs(meanOver(trace.entropy, 200) - 4.2)).toBeLessThan(0.1);
  });
});
