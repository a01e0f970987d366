import { describe, expect, it } from "vitest";
import { interpolate } from "../src/control/piecewise.js";
import { parseCalibration } from "../src/control/schedule-schema.js";
import { addTokenSampleInPlace, candidateX, chooseStatistic, createTokenSamples, fitCandidates, fitOffset } from "../src/fit/calibrate.js";
import { fitMonotoneTable, isotonicNonIncreasing } from "../src/fit/isotonic.js";
import { meanAbsoluteError, spearman } from "../src/fit/metrics.js";
import { entropyOf } from "../src/sampling/entropy.js";
import { logitStats } from "../src/sampling/logit-stats.js";
import { createRng } from "../src/sampling/rng.js";
import { fillGaussian } from "./plant.js";

describe("isotonicNonIncreasing (pool-adjacent-violators)", () => {
  it("pools violators into their weighted mean", () => {
    expect(Array.from(isotonicNonIncreasing([3, 1, 2, 0]))).toEqual([3, 1.5, 1.5, 0]);
    expect(Array.from(isotonicNonIncreasing([1, 2, 3]))).toEqual([2, 2, 2]);
    expect(Array.from(isotonicNonIncreasing([1, 3], [3, 1]))).toEqual([1.5, 1.5]);
    expect(Array.from(isotonicNonIncreasing([5, 4, 4, 1]))).toEqual([5, 4, 4, 1]);
  });

  it("rejects non-positive weights", () => {
    expect(() => isotonicNonIncreasing([1, 2], [1, 0])).toThrow(/weights\[1\]/);
  });
});

describe("fitMonotoneTable", () => {
  it("gives strictly increasing x and non-increasing y that follow a noisy decreasing law", () => {
    const rng = createRng(3);
    const x = Array.from({ length: 4000 }, () => 10 * rng.next());
    const y = x.map((v) => 6 * Math.exp(-v / 3) + 0.3 * (rng.next() - 0.5));
    const table = fitMonotoneTable(x, y, 24);
    expect(table.x.length).toBeGreaterThan(10);
    for (let i = 1; i < table.x.length; i++) {
      expect(table.x[i]).toBeGreaterThan(table.x[i - 1]!);
      expect(table.y[i]).toBeLessThanOrEqual(table.y[i - 1]!);
    }
    for (let i = 0; i < table.x.length; i++) expect(Math.abs(table.y[i]! - 6 * Math.exp(-table.x[i]! / 3))).toBeLessThan(0.15);
  });

  it("needs two distinct x", () => {
    expect(() => fitMonotoneTable([1, 1, 1], [3, 2, 1], 2)).toThrow(/two or more distinct x/);
  });
});

describe("spearman and meanAbsoluteError", () => {
  it("rank-correlates with average ranks for ties", () => {
    expect(spearman([1, 2, 3, 4], [10, 20, 30, 40])).toBeCloseTo(1, 12);
    expect(spearman([1, 2, 3, 4], [4, 3, 2, 1])).toBeCloseTo(-1, 12);
    expect(spearman([1, 1, 2], [1, 2, 3])).toBeCloseTo(Math.sqrt(3) / 2, 12);
    expect(spearman([1, 1], [1, 2])).toBeNaN();
    expect(meanAbsoluteError([1, 2], [2, 0])).toBe(1.5);
  });
});

describe("fitCandidates and chooseStatistic", () => {
  /** Gaussian logits of random scale at random T: the shape the proxy table must absorb. */
  function samples(seed: number, count: number) {
    const rng = createRng(seed);
    const out = createTokenSamples();
    const z = new Float32Array(256);
    for (let i = 0; i < count; i++) {
      fillGaussian(rng, z);
      const scale = 0.5 + 4 * rng.next();
      for (let j = 0; j < z.length; j++) z[j] = z[j]! * scale;
      const T = 0.5 + rng.next();
      addTokenSampleInPlace(out, logitStats(z), T, entropyOf(z, T));
    }
    return out;
  }

  it("scores every candidate on held-out tokens and picks the lowest MAE among the solvable ones", () => {
    const fits = fitCandidates(samples(1, 1500), samples(2, 500), 24);
    expect(fits.map((f) => f.statistic)).toEqual(["std", "gap", "variance", "ratio"]);
    const byName = Object.fromEntries(fits.map((f) => [f.statistic, f]));
    // Sharp Gaussian logits put their entropy in the top few tokens, which max − mean sees and
    // the spread of the whole vocabulary (std, variance) sees less; the scale-free ratio cannot
    // see T at all.
    const chosen = chooseStatistic(fits);
    expect(chosen.statistic).toBe("gap");
    expect(chosen.mae).toBe(Math.min(byName.std!.mae, byName.gap!.mae, byName.variance!.mae));
    expect(chosen.mae).toBeLessThan(0.3);
    expect(chosen.spearman).toBeGreaterThan(0.95);
    expect(byName.ratio!.mae).toBeGreaterThan(chosen.mae * 3);
    // What the CLI writes from the choice passes the shared schema.
    const file = {
      version: 1,
      kind: "calibration",
      model_id: "m",
      statistic: chosen.statistic,
      x: chosen.table.x,
      entropy: chosen.table.y,
      offset: { positions: [0], values: [0] },
      gain: 0.1,
      heldout: { mae: chosen.mae, spearman: chosen.spearman, candidates: Object.fromEntries(fits.map((f) => [f.statistic, { mae: f.mae, spearman: f.spearman }])) },
    };
    expect(parseCalibration(file).heldout.candidates?.ratio?.mae).toBe(byName.ratio!.mae);
  });

  it("never chooses the ratio, even when it is the most accurate", () => {
    const table = { x: [0, 1], y: [1, 0] };
    const pick = chooseStatistic([
      { statistic: "ratio", table, mae: 0.01, spearman: 1 },
      { statistic: "gap", table, mae: 0.2, spearman: 0.9 },
      { statistic: "std", table, mae: 0.1, spearman: 0.9 },
    ]);
    expect(pick.statistic).toBe("std");
    expect(() => chooseStatistic([{ statistic: "ratio", table, mae: 0.01, spearman: 1 }])).toThrow(/no usable statistic/);
  });

  it("scales the statistics with the applied temperature", () => {
    const s = createTokenSamples();
    addTokenSampleInPlace(s, { mean: 0, variance: 4, std: 2, max: 3, argmax: 0, gap: 3 }, 2, 1);
    expect(candidateX(s, "std")[0]).toBe(1);
    expect(candidateX(s, "gap")[0]).toBe(1.5);
    expect(candidateX(s, "variance")[0]).toBe(1);
    expect(candidateX(s, "ratio")[0]).toBe(1.5);
  });
});

describe("fitOffset", () => {
  it("keeps the exact 0 at t = 0 and follows the jump and plateau that come after", () => {
    const n = 1000;
    // Marginal − conditional: 0 while every row shares the prompt, ~0.8 one token later, 1.3 late.
    const gap = Float64Array.from({ length: n }, (_, t) => (t === 0 ? 0 : 1.3 - 0.5 * Math.exp(-(t - 1) / 20)));
    const count = Float64Array.from({ length: n }, (_, t) => (t < 50 ? 18 : 2));
    const table = fitOffset(gap, count);
    expect(table.positions.length).toBeLessThanOrEqual(32);
    expect(interpolate(table.positions, table.values, 0)).toBeLessThan(0.05);
    expect(interpolate(table.positions, table.values, 1)).toBeGreaterThan(0.7);
    expect(interpolate(table.positions, table.values, 900)).toBeCloseTo(1.3, 1);
  });
});
