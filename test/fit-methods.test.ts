import { describe, expect, it } from "vitest";
import { expandKnots } from "../src/fit/knots.js";
import { profileMean } from "../src/fit/metrics.js";
import { fitOptimize, geometricKnots, weightedMse } from "../src/fit/optimize.js";
import { fitSa } from "../src/fit/sa.js";
import { GAIN, optimalSchedule, plantProfile, rmsLogRatio } from "./fit-plant.js";

const N = 1000;
const TARGET = 3;

/** RMSE of the noiseless plant's marginal entropy against the target. */
function noiselessRmse(temperatures: ArrayLike<number>, from = 0, to = N): number {
  const h = profileMean(plantProfile(temperatures, 0, false));
  let s = 0;
  for (let t = from; t < to; t++) s += (h[t]! - TARGET) ** 2;
  return Math.sqrt(s / (to - from));
}

describe("fitSa (stochastic approximation with common random numbers)", () => {
  it("recovers the known optimal schedule of the synthetic plant in 4 measurements", async () => {
    let calls = 0;
    const result = await fitSa(
      async (temps) => {
        calls++;
        return plantProfile(temps, 11);
      },
      // A flat start and a slope prior 25 % off: the relaxation has to absorb both.
      { target: TARGET, initial: new Float64Array(N).fill(1), slope: GAIN * 0.75, iterations: 4 },
    );
    expect(calls).toBe(4);
    const optimal = optimalSchedule(TARGET, N);
    // Within 5 % in T (RMS over positions), from a flat start 8 % off (75 % off at t = 0).
    const start = new Float64Array(N).fill(1);
    expect(rmsLogRatio(result.temperatures, optimal)).toBeLessThan(0.05);
    expect(rmsLogRatio(result.temperatures, optimal, 0, 10)).toBeLessThan(0.05);
    expect(rmsLogRatio(start, optimal)).toBeGreaterThan(0.08);
    // Noise-free, the fitted schedule holds the target to 0.06 nats RMS (noise is 0.05–0.15).
    expect(noiselessRmse(result.temperatures)).toBeLessThan(0.06);
    // What the iterations measured falls to the plant's own noise (σ = 0.05–0.15 nats).
    expect(result.rmse[3]!).toBeLessThan(0.15);
    expect(result.rmse[3]!).toBeLessThan(result.rmse[0]!);
  });

  it("keeps the curve continuous when early measurements stop short of the last position", async () => {
    let calls = 0;
    const result = await fitSa(
      async (temps) => {
        const profile = plantProfile(temps, 11);
        // The first three measurements stop at position 300, the last runs to the end.
        if (calls++ < 3) profile.count.fill(0, 300);
        return profile;
      },
      { target: TARGET, initial: new Float64Array(N).fill(1), slope: GAIN * 0.75, iterations: 4 },
    );
    let jump = 0;
    for (let t = 200; t < N; t++) jump = Math.max(jump, Math.abs(Math.log(result.temperatures[t]! / result.temperatures[t - 1]!)));
    // Past t = 200 the optimum changes by < 0.1 % per position: no step where the window ended.
    expect(jump).toBeLessThan(0.002);
    expect(rmsLogRatio(result.temperatures, optimalSchedule(TARGET, N))).toBeLessThan(0.05);
  });

  it("rejects options that cannot converge", async () => {
    const measure = async (temps: Float64Array) => plantProfile(temps, 1);
    await expect(fitSa(measure, { target: 3, initial: [1, 1], slope: 0 })).rejects.toThrow(/slope/);
    await expect(fitSa(measure, { target: 3, initial: [1, 1], slope: 1, relaxation: 1.5 })).rejects.toThrow(/relaxation/);
    await expect(fitSa(measure, { target: 3, initial: [1, 1], slope: 1, iterations: 0 })).rejects.toThrow(/iterations/);
  });
});

describe("fitOptimize (Nelder–Mead on a geometric-knot parameterisation)", () => {
  it("places knots at 0, 4, 16, …, and the last position", () => {
    expect(geometricKnots(1000)).toEqual([0, 4, 16, 64, 256, 999]);
    expect(geometricKnots(2)).toEqual([0, 1]);
  });

  it("weights the window fully and the tail by tailWeight", () => {
    const sum = Float64Array.from([4, 4, 2, 2]);
    const count = new Float64Array(4).fill(1);
    expect(weightedMse(sum, count, 3, 2, 1)).toBeCloseTo(1, 12);
    sum[2] = 5;
    expect(weightedMse(sum, count, 3, 2, 0.5)).toBeCloseTo((1 + 1 + 0.5 * 4 + 0.5 * 1) / 3, 12);
  });

  it("recovers the synthetic plant's optimal schedule within its parameterisation's reach", async () => {
    const result = await fitOptimize(async (temps) => plantProfile(temps, 11), {
      target: TARGET,
      initial: new Float64Array(N).fill(1),
      maxEvaluations: 250,
    });
    expect(result.evaluations).toBeLessThanOrEqual(250);
    const fitted = expandKnots(result.knots, N);
    // Six knots cannot follow the exponential drift exactly: within 10 % in T over the window.
    expect(rmsLogRatio(fitted, optimalSchedule(TARGET, N), 0, 300)).toBeLessThan(0.1);
    expect(noiselessRmse(fitted, 0, 300)).toBeLessThan(0.15);
  });
});
