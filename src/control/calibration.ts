/**
 * Calibration — the table that lets the proxy controller predict entropy from a cheap logit
 * statistic instead of a softmax.
 *
 * The statistic carries the scale of the logits: x = stat(z)/T for std and gap, x = var(z)/T²
 * for variance (see logit-stats.ts). The table maps x to entropy, piecewise linearly. Entropy
 * falls as x grows (sharper logits, lower entropy), so the table must be non-increasing; that
 * is what makes it invertible in closed form. Fitted offline (src/cli) per model.
 */
import { type LogitStats, logitCenter, logitStats } from "../sampling/logit-stats.js";
import { interpolate, isNonIncreasing, isStrictlyIncreasing } from "./piecewise.js";

/** Which scale-carrying statistic of the logits the table is indexed by. */
export type LogitStatistic = "std" | "gap" | "variance";

export const LOGIT_STATISTICS: readonly LogitStatistic[] = ["std", "gap", "variance"];

export interface Calibration {
  statistic: LogitStatistic;
  /** Statistic of the temperature-scaled logits, strictly increasing, ≥ 0 (logit units, or units² for variance). */
  x: readonly number[];
  /** Predicted entropy at each x, nats, non-increasing. */
  entropy: readonly number[];
}

/** Knots of an offset table: conditional target = marginal target − offset(position). */
export interface OffsetTable {
  /** Token positions, strictly increasing. */
  positions: readonly number[];
  /** Offset at each position, nats. */
  values: readonly number[];
}

/** Returns `calibration` if it is a usable table; otherwise a RangeError names the bad field. */
export function validateCalibration(calibration: Calibration): Calibration {
  const { statistic, x, entropy } = calibration;
  if (!LOGIT_STATISTICS.includes(statistic)) throw new RangeError(`statistic must be one of ${LOGIT_STATISTICS.join(", ")}, got ${statistic}`);
  if (x.length < 2) throw new RangeError(`x must have at least 2 knots, got ${x.length}`);
  if (entropy.length !== x.length) throw new RangeError(`entropy must have as many values as x (${x.length}), got ${entropy.length}`);
  if (!isStrictlyIncreasing(x) || x[0]! < 0) throw new RangeError("x must be finite, >= 0 and strictly increasing");
  if (!isNonIncreasing(entropy)) throw new RangeError("entropy must be finite and non-increasing in x");
  return calibration;
}

/**
 * The statistic of one row's raw logits (T = 1), computing only what it needs: the gap is one pass
 * (mean and max), std and variance two. The proxy calls this for every row at every step.
 */
export function rowStatistic(z: Float32Array, statistic: LogitStatistic): number {
  if (statistic !== "gap") return statisticOf(logitStats(z), statistic);
  const { max, mean } = logitCenter(z);
  return max - mean;
}

/** The calibration's statistic of one row's raw logits (T = 1). */
export function statisticOf(stats: LogitStats, statistic: LogitStatistic): number {
  return statistic === "variance" ? stats.variance : stats[statistic];
}

/** The statistic of the logits scaled by 1/T, from the raw statistic `raw`. */
export function scaledStatistic(statistic: LogitStatistic, raw: number, temperature: number): number {
  return statistic === "variance" ? raw / (temperature * temperature) : raw / temperature;
}

/**
 * The temperature at which raw statistic `raw` scales to `x` (inverse of scaledStatistic).
 * Logits with raw = 0 are all equal and give the same distribution at every T; 0 is returned
 * (for a caller's clamp to raise) rather than the NaN of 0/0.
 */
export function temperatureFor(statistic: LogitStatistic, raw: number, x: number): number {
  if (!(raw > 0)) return 0;
  return statistic === "variance" ? Math.sqrt(raw / x) : raw / x;
}

/** Predicted entropy, nats, at scaled statistic x; the end values are held outside the table. */
export function predictEntropy(calibration: Calibration, x: number): number {
  return interpolate(calibration.x, calibration.entropy, x);
}

/**
 * The scaled statistic x at which the table predicts entropy h: the closed-form inverse of
 * `predictEntropy`. Targets above the table's highest entropy give x[0], below its lowest give
 * the last x; on a flat stretch equal to h, the smallest such x (the highest temperature).
 */
export function solveStatistic(calibration: Calibration, h: number): number {
  const { x, entropy } = calibration;
  if (!(h < entropy[0]!)) return x[0]!;
  for (let i = 0; i + 1 < x.length; i++) {
    const hi = entropy[i]!;
    const lo = entropy[i + 1]!;
    if (h >= lo) return x[i]! + ((hi - h) / (hi - lo)) * (x[i + 1]! - x[i]!);
  }
  return x[x.length - 1]!;
}

/** The offset function of a table: piecewise linear in position, ends held. */
export function offsetFromTable({ positions, values }: OffsetTable): (position: number) => number {
  if (positions.length < 1) throw new RangeError("offset.positions must have at least 1 knot");
  if (values.length !== positions.length) throw new RangeError(`offset.values must have as many values as offset.positions (${positions.length}), got ${values.length}`);
  if (!isStrictlyIncreasing(positions)) throw new RangeError("offset.positions must be finite and strictly increasing");
  if (!values.every(Number.isFinite)) throw new RangeError("offset.values must be finite");
  return (position) => interpolate(positions, values, position);
}
