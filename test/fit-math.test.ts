import { describe, expect, it } from "vitest";
import { bootstrapVariance, resampleRows } from "../src/fit/bootstrap.js";
import { heldoutMetrics } from "../src/fit/heldout.js";
import { holdLastInPlace } from "../src/fit/metrics.js";
import { nelderMead } from "../src/fit/nelder-mead.js";
import { renderSvg } from "../src/fit/plot.js";
import { parsePrompts } from "../src/fit/prompts.js";
import { matchFixedTemperature, startingCurve } from "../src/fit/sweep.js";
import { marginalEntropy } from "../src/sampling/marginal.js";
import { createRng } from "../src/sampling/rng.js";

describe("holdLastInPlace", () => {
  it("holds the last measured value over the unmeasured positions after it, and leaves leading NaN", () => {
    const v = Float64Array.from([Number.NaN, 1, 2, Number.NaN, 3, Number.NaN, Number.NaN]);
    expect(holdLastInPlace(v)).toBe(v);
    expect([...v]).toEqual([Number.NaN, 1, 2, 2, 3, 3, 3]);
  });
});

describe("nelderMead", () => {
  it("finds the minimum of Rosenbrock's function within its evaluation budget", async () => {
    let calls = 0;
    const rosenbrock = async ([x, y]: number[]) => {
      calls++;
      return (1 - x!) ** 2 + 100 * (y! - x! * x!) ** 2;
    };
    const result = await nelderMead(rosenbrock, [-1.2, 1], { step: 0.5, maxEvaluations: 400, tolerance: 1e-14 });
    expect(result.x[0]).toBeCloseTo(1, 3);
    expect(result.x[1]).toBeCloseTo(1, 3);
    expect(result.evaluations).toBe(calls);
    expect(calls).toBeLessThanOrEqual(400);
  });

  it("stops at maxEvaluations and treats NaN as worse than anything", async () => {
    let calls = 0;
    const objective = (x: readonly number[]): number => {
      calls++;
      return x[0]! < 0 ? Number.NaN : (x[0]! - 2) ** 2;
    };
    const result = await nelderMead(objective, [1], { maxEvaluations: 12, tolerance: 0 });
    expect(calls).toBe(12);
    expect(result.value).toBeLessThan(1);
    await expect(nelderMead(() => 0, [1, 2], { maxEvaluations: 2 })).rejects.toThrow(/maxEvaluations/);
  });
});

describe("sweep", () => {
  const temps = [0.5, 1, 2];
  it("matches a fixed temperature by interpolation in log T, and refuses to extrapolate", () => {
    expect(matchFixedTemperature(temps, [2, 3, 4], 3.5)).toBeCloseTo(Math.SQRT2, 12);
    expect(matchFixedTemperature(temps, [2, 3, 4], 2)).toBeCloseTo(0.5, 12);
    expect(() => matchFixedTemperature(temps, [2, 3, 4], 4.5)).toThrow(/outside/);
    expect(() => matchFixedTemperature([1, 1], [2, 3], 2.5)).toThrow(/strictly increasing/);
  });

  it("solves every position for its starting temperature and slope", () => {
    // H = a(t) + 1.5 log T with a(t) = 2 + t/10.
    const profiles = temps.map((T) => Float64Array.from({ length: 10 }, (_, t) => 2 + t / 10 + 1.5 * Math.log(T)));
    const start = startingCurve(temps, profiles, 2.5);
    for (let t = 0; t < 10; t++) {
      expect(Math.log(start.temperatures[t]!)).toBeCloseTo((0.5 - t / 10) / 1.5, 10);
      expect(start.slope[t]).toBeCloseTo(1.5, 10);
    }
  });
});

describe("heldoutMetrics", () => {
  it("pools episodes of different lengths per position", () => {
    const long = { marginal: new Float64Array(400).fill(3.1), bootstrapVariance: new Float64Array(400).fill(0.01) };
    const short = { marginal: new Float64Array(10).fill(2.5) };
    const m = heldoutMetrics([long, short], 3, 400);
    // [0, 10): half the episodes at +0.1, half at −0.5.
    expect(m.windowBias["0-10"]).toBeCloseTo(-0.2, 12);
    expect(m.windowBias["10-50"]).toBeCloseTo(0.1, 12);
    expect(m.windowBias["300-1000"]).toBeCloseTo(0.1, 12);
    expect(m.rmse0To300).toBeCloseTo(Math.sqrt((300 * 0.01 + 10 * 0.25) / 310), 12);
    expect(m.noiseFloor0To300).toBeCloseTo(0.1, 12);
    expect(m.mean[0]).toBeCloseTo(2.8, 12);
  });

  it("gives each window the standard error of its mean across the episodes covering it", () => {
    const flat = (n: number, v: number) => ({ marginal: new Float64Array(n).fill(v) });
    // Two long episodes at 3.0 and 3.4, one short at 2.6.
    const m = heldoutMetrics([flat(400, 3), flat(400, 3.4), flat(10, 2.6)], 3, 400);
    // [0, 10): means 3, 3.4, 2.6 → sd 0.4, se 0.4 / √3.
    expect(m.windowStandardError["0-10"]).toBeCloseTo(0.4 / Math.sqrt(3), 12);
    // [10, 50) and the truncated [300, 400): only the long ones → sd √0.08, se 0.2.
    expect(m.windowStandardError["10-50"]).toBeCloseTo(0.2, 12);
    expect(m.windowStandardError["300-1000"]).toBeCloseTo(0.2, 12);
    // A window a single episode covers has no spread to report.
    expect(heldoutMetrics([flat(400, 3), flat(10, 2.6)], 3, 400).windowStandardError["10-50"]).toBeUndefined();
  });
});

describe("bootstrap noise floor", () => {
  it("is zero for identical rows and grows with the rows' disagreement", () => {
    const rows = 8;
    const vocab = 4;
    const counts = resampleRows(rows, 64, createRng(1));
    for (const c of counts) expect(c.reduce((a, b) => a + b, 0)).toBe(rows);
    const same = new Float32Array(rows * vocab).fill(0.25);
    expect(bootstrapVariance(same, rows, vocab, counts, new Float64Array(vocab))).toBeCloseTo(0, 12);
    // Each row is sure of a different token: the resampled marginal entropy varies.
    const split = new Float32Array(rows * vocab);
    for (let b = 0; b < rows; b++) split[b * vocab + (b % vocab)] = 1;
    const v = bootstrapVariance(split, rows, vocab, counts, new Float64Array(vocab));
    expect(v).toBeGreaterThan(0.001);
    expect(marginalEntropy(split, rows, vocab)).toBeCloseTo(Math.log(4), 6);
  });
});

describe("parsePrompts", () => {
  it("splits fitting and held-out prompts, skipping comments and blank lines", () => {
    expect(parsePrompts("# c\nIn the beginning\n\nAnd it came\n# held-out\nThe LORD is\n")).toEqual({ fit: ["In the beginning", "And it came"], heldout: ["The LORD is"] });
    expect(() => parsePrompts("a\nb\n")).toThrow(/held-out/);
    expect(() => parsePrompts("# held-out\nb\n")).toThrow(/no prompts to fit on/);
  });
});

describe("renderSvg", () => {
  it("draws every series and escapes labels", () => {
    const svg = renderSvg([{ title: "H < T", xLabel: "t", yLabel: "H", xScale: "log1p", series: [{ x: [0, 1, 2], y: [1, Number.NaN, 2], label: "a&b", color: "#000" }] }]);
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain("H &lt; T");
    expect(svg).toContain("a&amp;b");
    expect(svg).toMatch(/<path d="M[\d.]+ [\d.]+M[\d.]+ [\d.]+"/);
  });
});
