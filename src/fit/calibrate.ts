/**
 * Proxy calibration — fit the map from each cheap logit statistic to exact per-token entropy,
 * score it on held-out tokens, and choose the statistic the proxy controller will use.
 *
 * Samples are (raw logit statistics at T = 1, applied T, exact entropy) per row and position of
 * rollouts. The scale-carrying candidates become x = std/T, gap/T (gap = max − mean) and var/T²
 * (the full-vocabulary logit variance), each fitted by a monotone table (isotonic.ts). The
 * scale-free ratio gap/std is fitted and scored too, for comparison only: it does not change
 * with T, so the controller cannot solve it for a temperature. All candidates cost one pass over
 * the logits, so the default is chosen by held-out mean absolute error alone.
 */
import { LOGIT_STATISTICS, type LogitStatistic } from "../control/calibration.js";
import { interpolate } from "../control/piecewise.js";
import type { LogitStats } from "../sampling/logit-stats.js";
import { fitMonotoneTable, type MonotoneTable } from "./isotonic.js";
import { compressLinear } from "./knots.js";
import { meanAbsoluteError, spearman } from "./metrics.js";
import { smoothInPosition } from "./smooth.js";

/** A statistic the calibration can be fitted on: the schema's three, plus the scale-free ratio. */
export type Candidate = LogitStatistic | "ratio";

export const CANDIDATES: readonly Candidate[] = [...LOGIT_STATISTICS, "ratio"];

/** Per-token samples, column-wise. */
export interface TokenSamples {
  /** Raw (T = 1) logit std, gap and variance. */
  std: number[];
  gap: number[];
  variance: number[];
  /** Temperature the token was sampled at. */
  temperature: number[];
  /** Exact entropy of the sampled distribution, nats. */
  entropy: number[];
}

export function createTokenSamples(): TokenSamples {
  return { std: [], gap: [], variance: [], temperature: [], entropy: [] };
}

/** Appends one token's sample. Mutates `samples`. */
export function addTokenSampleInPlace(samples: TokenSamples, stats: LogitStats, temperature: number, entropy: number): void {
  samples.std.push(stats.std);
  samples.gap.push(stats.gap);
  samples.variance.push(stats.variance);
  samples.temperature.push(temperature);
  samples.entropy.push(entropy);
}

/** The candidate's x for every sample (the scaled statistic at the applied T). */
export function candidateX(samples: TokenSamples, candidate: Candidate): Float64Array {
  const { std, gap, variance, temperature: T } = samples;
  return Float64Array.from({ length: samples.entropy.length }, (_, i) => {
    switch (candidate) {
      case "std":
        return std[i]! / T[i]!;
      case "gap":
        return gap[i]! / T[i]!;
      case "variance":
        return variance[i]! / (T[i]! * T[i]!);
      case "ratio":
        return std[i]! > 0 ? gap[i]! / std[i]! : Number.NaN;
    }
  });
}

export interface CandidateFit {
  statistic: Candidate;
  table: MonotoneTable;
  /** Held-out mean absolute error of predicted vs exact entropy, nats. */
  mae: number;
  /** Held-out Spearman correlation of predicted vs exact entropy. */
  spearman: number;
}

/** Fit every candidate on `train` and score it on `heldout`. */
export function fitCandidates(train: TokenSamples, heldout: TokenSamples, bins = 32): CandidateFit[] {
  return CANDIDATES.map((statistic) => {
    const table = fitMonotoneTable(candidateX(train, statistic), train.entropy, bins);
    const x = candidateX(heldout, statistic);
    const keep = Array.from({ length: x.length }, (_, i) => i).filter((i) => Number.isFinite(x[i]!));
    const predicted = keep.map((i) => interpolate(table.x, table.y, x[i]!));
    const exact = keep.map((i) => heldout.entropy[i]!);
    return { statistic, table, mae: meanAbsoluteError(predicted, exact), spearman: spearman(predicted, exact) };
  });
}

/** The usable candidate (one the controller can solve for T) with the lowest held-out MAE. */
export function chooseStatistic(fits: readonly CandidateFit[]): CandidateFit & { statistic: LogitStatistic } {
  const usable = fits.filter((f): f is CandidateFit & { statistic: LogitStatistic } => (LOGIT_STATISTICS as readonly string[]).includes(f.statistic));
  if (usable.length === 0) throw new RangeError("no usable statistic was fitted");
  return usable.reduce((best, f) => (f.mae < best.mae ? f : best));
}

/**
 * The offset table the proxy controller aims single rows with: marginal − mean conditional
 * entropy per position (`gap[t]`, measured over `count[t]` episodes), smoothed and compressed to
 * knots within 0.02 nats. The kernel is narrow at the start (scale 1 token): the gap is exactly
 * 0 at t = 0, where every row shares the prompt, and jumps within a few tokens, so a wider one
 * would smear the jump back onto t = 0.
 */
export function fitOffset(gap: ArrayLike<number>, count: ArrayLike<number>): { positions: number[]; values: number[] } {
  return compressLinear(smoothInPosition(gap, count, { scale: 1, bandwidth: 0.1 }), { tolerance: 0.02, maxKnots: 32 });
}
