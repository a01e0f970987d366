import { describe, expect, it } from "vitest";
import { type Calibration, offsetFromTable, predictEntropy, rowStatistic, solveStatistic, temperatureFor, validateCalibration } from "../src/control/calibration.js";
import { EARLY_SOLVE_POSITIONS } from "../src/control/controller.js";
import { createExactController } from "../src/control/exact.js";
import { createProxyController } from "../src/control/proxy.js";
import { entropyOf } from "../src/sampling/entropy.js";
import { logitStats } from "../src/sampling/logit-stats.js";
import { createRng } from "../src/sampling/rng.js";
import { createStep } from "../src/sampling/step.js";
import { drive, fillGaussian, meanOver } from "./plant.js";

const vocab = 512;
const plant = { rows: 4, vocab, steps: 400, seed: 5 };
const target = 5;

/**
 * A PROVISIONAL calibration derived from the plant itself, for these tests only: the mean exact
 * entropy of 16 Gaussian logit rows (a seed the plant does not use) rescaled so their gap/T is x.
 * Real calibrations are fitted per model by the CLI.
 */
function plantCalibration(): Calibration {
  const rng = createRng(99);
  const rows = Array.from({ length: 16 }, () => fillGaussian(rng, new Float32Array(vocab)));
  const x = Array.from({ length: 41 }, (_, i) => i * 0.3);
  const entropy = x.map((xi) => rows.reduce((sum, g) => sum + (xi === 0 ? Math.log(vocab) : entropyOf(g, logitStats(g).gap / xi)), 0) / rows.length);
  return validateCalibration({ statistic: "gap", x, entropy });
}
const calibration = plantCalibration();
const biased: Calibration = { ...calibration, entropy: calibration.entropy.map((h) => h + 0.5) };

describe("calibration table", () => {
  it("rowStatistic is the statistic logitStats gives, the gap without the variance pass", () => {
    const z = fillGaussian(createRng(5), new Float32Array(3000)).map((v, i) => (i % 11 === 0 ? -Infinity : 2 + 3 * v));
    const stats = logitStats(z);
    expect(rowStatistic(z, "gap")).toBeCloseTo(stats.max - stats.mean, 12);
    expect(rowStatistic(z, "std")).toBeCloseTo(stats.std, 12);
    expect(rowStatistic(z, "variance")).toBeCloseTo(stats.variance, 12);
    expect(rowStatistic(z, "gap")).toBeGreaterThan(0);
  });

  const cal: Calibration = { statistic: "std", x: [0, 1, 2, 4], entropy: [6, 5, 3, 3] };

  it("predicts piecewise linearly, holding the ends", () => {
    expect(predictEntropy(cal, 0.5)).toBeCloseTo(5.5, 12);
    expect(predictEntropy(cal, 1.5)).toBeCloseTo(4, 12);
    expect(predictEntropy(cal, -1)).toBe(6);
    expect(predictEntropy(cal, 9)).toBe(3);
  });

  it("solves for x in closed form, inverse to predict", () => {
    expect(solveStatistic(cal, 5.5)).toBeCloseTo(0.5, 12);
    expect(solveStatistic(cal, 4)).toBeCloseTo(1.5, 12);
    for (const h of [3.1, 4.4, 5.9]) expect(predictEntropy(cal, solveStatistic(cal, h))).toBeCloseTo(h, 12);
    expect(solveStatistic(cal, 7)).toBe(0);
    expect(solveStatistic(cal, 3)).toBe(2);
    expect(solveStatistic(cal, 1)).toBe(4);
  });

  it("maps a statistic to the temperature that scales it to x", () => {
    expect(temperatureFor("std", 3, 1.5)).toBe(2);
    expect(temperatureFor("gap", 3, 1.5)).toBe(2);
    expect(temperatureFor("variance", 8, 2)).toBe(2);
    expect(temperatureFor("std", 0, 0)).toBe(0);
  });

  it.each([
    [{ statistic: "mean", x: [0, 1], entropy: [1, 0] }, /^statistic/],
    [{ statistic: "std", x: [0], entropy: [1] }, /^x must have at least 2/],
    [{ statistic: "std", x: [0, 1], entropy: [1] }, /^entropy must have as many/],
    [{ statistic: "std", x: [0, 0], entropy: [1, 0] }, /^x must be .*strictly increasing/],
    [{ statistic: "std", x: [-1, 1], entropy: [1, 0] }, /^x must be .*>= 0/],
    [{ statistic: "std", x: [0, 1], entropy: [0, 1] }, /^entropy must be .*non-increasing/],
    [{ statistic: "std", x: [0, 1], entropy: [1, Number.NaN] }, /^entropy/],
  ])("rejects %o", (cal, message) => {
    expect(() => validateCalibration(cal as Calibration)).toThrow(message);
    expect(() => createProxyController({ target, calibration: cal as Calibration })).toThrow(message);
  });

  it("builds an offset function from a table, validating it", () => {
    const offset = offsetFromTable({ positions: [0, 100], values: [0, 1] });
    expect(offset(0)).toBe(0);
    expect(offset(50)).toBeCloseTo(0.5, 12);
    expect(offset(1000)).toBe(1);
    expect(() => offsetFromTable({ positions: [], values: [] })).toThrow(/^offset.positions/);
    expect(() => offsetFromTable({ positions: [0, 1], values: [0] })).toThrow(/^offset.values/);
    expect(() => offsetFromTable({ positions: [1, 0], values: [0, 0] })).toThrow(/^offset.positions/);
    expect(() => offsetFromTable({ positions: [0], values: [Infinity] })).toThrow(/^offset.values/);
  });
});

describe("proxy controller", () => {
  it("feed-forward alone follows the drifting scale from the first step after the solved ones", () => {
    const proxy = drive(createProxyController({ target, calibration, gain: 0 }), plant);
    const exact = drive(createExactController({ target }), plant);
    // Both solve the first EARLY_SOLVE_POSITIONS exactly; from there the proxy's table follows the drift, exact's feedback lags it.
    const firstSteps = (h: number[][]) =>
      meanOver(
        h.map((r) => r.map((x) => Math.abs(x - target))),
        EARLY_SOLVE_POSITIONS,
        EARLY_SOLVE_POSITIONS + 10,
      );
    expect(firstSteps(proxy.entropy)).toBeLessThan(0.2);
    expect(firstSteps(proxy.entropy)).toBeLessThan(firstSteps(exact.entropy));
    expect(Math.abs(meanOver(proxy.entropy, 300) - target)).toBeLessThan(0.1);
  });

  it("feedback removes a calibration bias that feed-forward alone keeps", () => {
    // Rows first seen after the solved positions (a handover): no exact solve, so only feedback can correct the table.
    const open = drive(createProxyController({ target, calibration: biased, gain: 0 }), { ...plant, firstPosition: EARLY_SOLVE_POSITIONS });
    const closed = drive(createProxyController({ target, calibration: biased }), { ...plant, firstPosition: EARLY_SOLVE_POSITIONS });
    expect(meanOver(open.entropy, 300)).toBeLessThan(target - 0.3);
    expect(Math.abs(meanOver(closed.entropy, 300) - target)).toBeLessThan(0.05);
  });

  it("solves the first token exactly and carries that correction: a biased table holds the target from t = 0, even with no feedback", () => {
    const trace = drive(createProxyController({ target, calibration: biased, gain: 0 }), plant);
    for (const h of trace.entropy[0]!) expect(Math.abs(h - target)).toBeLessThan(1e-3);
    expect(Math.abs(meanOver(trace.entropy, 1) - target)).toBeLessThan(0.05);
  });

  it("solves every row's first EARLY_SOLVE_POSITIONS positions to target − offset(t), exactly, then leaves them to feedback", () => {
    const offset = (t: number) => 0.05 * t;
    const trace = drive(createProxyController({ target, calibration: biased, gain: 0, offset }), plant);
    for (let t = 0; t < EARLY_SOLVE_POSITIONS; t++) for (const h of trace.entropy[t]!) expect(Math.abs(h - (target - offset(t)))).toBeLessThan(1e-3);
    // with no feedback, the table (biased +0.5) steers alone once the solves stop: rows read off target − offset(t)
    expect(Math.abs(trace.entropy[EARLY_SOLVE_POSITIONS]![0]! - (target - offset(EARLY_SOLVE_POSITIONS)))).toBeGreaterThan(1e-3);
  });

  it("aims conditional entropy at target − offset(t)", () => {
    const trace = drive(createProxyController({ target, calibration: biased, offset: () => 0.5 }), plant);
    expect(Math.abs(meanOver(trace.entropy, 300) - (target - 0.5))).toBeLessThan(0.05);
  });

  it("feed-forward alone aims at target − offset(position), not target + offset", () => {
    // From the table, H = 4 at x = 1.5 and H = 5 at x = 1. At position 50 the offset is 0.5, so
    // target 4.5 aims at 4: rows with logit std 3 and 1.5 get T = std/1.5 = 2 and 1, where
    // aiming at target + offset = 5 would give T = std/1 = 3 and 1.5.
    const cal: Calibration = { statistic: "std", x: [0, 1, 2, 4], entropy: [6, 5, 3, 3] };
    const proxy = createProxyController({ target: 4.5, calibration: cal, gain: 0, offset: (t) => 0.01 * t });
    const step = createStep(Float32Array.from([3, -3, 3, -3, 1.5, -1.5, 1.5, -1.5]), 2, 4, 50);
    proxy.apply(step);
    const std = [3, 1.5];
    expect(std.map((s) => temperatureFor("std", s, solveStatistic(cal, 4.5 - 0.5)))).toEqual([2, 1]);
    expect([...step.temperature]).toEqual([2, 1]);
    expect([...step.estimate]).toEqual([4, 4]);
    const wrongSign = std.map((s) => temperatureFor("std", s, solveStatistic(cal, 4.5 + 0.5)));
    expect(wrongSign).toEqual([3, 1.5]);
    for (let b = 0; b < 2; b++) expect(Math.abs(step.temperature[b]! - wrongSign[b]!)).toBeGreaterThan(0.4);
  });

  it("estimates the table's prediction at the chosen temperature", () => {
    let checked = 0;
    drive(createProxyController({ target, calibration }), {
      ...plant,
      steps: 20,
      observe: (step) => {
        for (let b = 0; b < step.rows; b++) {
          const gap = logitStats(step.logits.subarray(b * vocab, (b + 1) * vocab)).gap;
          expect(step.estimate[b]).toBeCloseTo(predictEntropy(calibration, gap / step.temperature[b]!), 4);
          checked++;
        }
      },
    });
    expect(checked).toBe(80);
  });

  it("stays feed-forward only during warmup", () => {
    const warm = drive(createProxyController({ target, calibration: biased, warmup: 50 }), plant);
    const open = drive(createProxyController({ target, calibration: biased, gain: 0 }), plant);
    expect(warm.temperature.slice(0, 51)).toEqual(open.temperature.slice(0, 51));
    expect(warm.temperature[51]).not.toEqual(open.temperature[51]);
  });

  it("counts saturation at a clamp and resets it", () => {
    const c = createProxyController({ target, calibration, tMin: 0.01, tMax: 0.02 });
    drive(c, { ...plant, steps: 15 });
    expect(c.saturation).toBe(15);
    c.reset?.();
    expect(c.saturation).toBe(0);
  });

  it("does not wind up its correction while pinned at a clamp", () => {
    // Scale 4 for 100 steps needs T ≈ 2.4 > t_max = 1, so rows are pinned with H below target;
    // then scale 0.5 needs T ≈ 0.3. A wound-up correction would hold T at t_max long after.
    const scale = (t: number) => (t < 100 ? 4 : 0.5);
    const trace = drive(createProxyController({ target, calibration, tMax: 1 }), { ...plant, steps: 110, scale });
    expect(meanOver(trace.temperature, 90, 100)).toBeCloseTo(1, 6);
    expect(meanOver(trace.entropy, 90, 100)).toBeLessThan(target - 2);
    expect(Math.abs(meanOver(trace.entropy, 100) - target)).toBeLessThan(0.2);
  });
});
