/**
 * Held-out metrics — how a temperature curve did on fresh episodes (held-out prompts, new
 * seeds): RMSE of marginal entropy to the target per position over [0, 300) and [0, 1000), the
 * mean bias per window, and the bootstrap noise floor next to them (bootstrap.ts).
 *
 * Episodes of different lengths are pooled per position: a position counts every episode that
 * reached it, so short episodes on many prompts sharpen the early windows.
 *
 * The bootstrap floor is the noise of B rows within one episode; what a schedule (a function of
 * position only) cannot remove is the spread between episodes: one prompt drifts into a
 * genealogy and sits low for hundreds of tokens, another into a narrative. So each window's bias
 * also carries its standard error across the episodes that cover the window, the yardstick for
 * whether a miss on a few held-out prompts says anything about the schedule.
 */
import { addToProfileInPlace, createProfile, WINDOWS, windowLabel, windowMean } from "./metrics.js";

export interface EpisodeMeasurement {
  /** Marginal entropy per position, nats. */
  marginal: ArrayLike<number>;
  /** Bootstrap variance of the marginal per position, nats²; NaN where not computed. */
  bootstrapVariance?: ArrayLike<number>;
}

export interface HeldoutMetrics {
  rmse0To300: number;
  rmse0To1000: number;
  /** Mean (measured − target) per window, keyed "0-10", "10-50", … (windows the episodes reached). */
  windowBias: Record<string, number>;
  /**
   * Standard error of each window's mean across the episodes covering the whole window
   * (sample standard deviation of their window means / √k); only windows that k ≥ 2 episodes cover.
   */
  windowStandardError: Record<string, number>;
  noiseFloor0To300: number;
  noiseFloor0To1000: number;
  /** Mean marginal entropy per position over the episodes that reached it. */
  mean: Float64Array;
}

export function heldoutMetrics(episodes: readonly EpisodeMeasurement[], target: number, tokens: number): HeldoutMetrics {
  const error = createProfile(tokens);
  const squared = createProfile(tokens);
  const marginal = createProfile(tokens);
  const variance = createProfile(tokens);
  for (const e of episodes) {
    const n = Math.min(tokens, e.marginal.length);
    addToProfileInPlace(
      marginal,
      Array.from({ length: n }, (_, t) => e.marginal[t]!),
    );
    addToProfileInPlace(
      error,
      Array.from({ length: n }, (_, t) => e.marginal[t]! - target),
    );
    addToProfileInPlace(
      squared,
      Array.from({ length: n }, (_, t) => (e.marginal[t]! - target) ** 2),
    );
    const v = e.bootstrapVariance;
    if (v) {
      for (let t = 0; t < Math.min(n, v.length); t++) {
        if (Number.isNaN(v[t]!)) continue;
        variance.sum[t] = variance.sum[t]! + v[t]!;
        variance.count[t] = variance.count[t]! + 1;
      }
    }
  }
  const windowBias: Record<string, number> = {};
  const windowStandardError: Record<string, number> = {};
  for (const w of WINDOWS) {
    const bias = windowMean(error, w[0], w[1]);
    if (Number.isFinite(bias)) windowBias[windowLabel(w)] = bias;
    const to = Math.min(w[1], tokens);
    const means = episodes.filter((e) => e.marginal.length >= to && to > w[0]).map((e) => episodeMean(e.marginal, w[0], to));
    if (means.length >= 2) windowStandardError[windowLabel(w)] = standardError(means);
  }
  return {
    rmse0To300: Math.sqrt(windowMean(squared, 0, 300)),
    rmse0To1000: Math.sqrt(windowMean(squared, 0, 1000)),
    windowBias,
    windowStandardError,
    noiseFloor0To300: Math.sqrt(windowMean(variance, 0, 300)),
    noiseFloor0To1000: Math.sqrt(windowMean(variance, 0, 1000)),
    mean: marginal.sum.map((s, t) => (marginal.count[t]! > 0 ? s / marginal.count[t]! : Number.NaN)),
  };
}

function episodeMean(values: ArrayLike<number>, from: number, to: number): number {
  let s = 0;
  for (let t = from; t < to; t++) s += values[t]!;
  return s / (to - from);
}

/** Sample standard deviation / √k. */
function standardError(values: readonly number[]): number {
  const k = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / k;
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / (k - 1);
  return Math.sqrt(variance / k);
}
