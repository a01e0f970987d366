/**
 * Knots — compress a per-position temperature curve into the few knots a schedule file stores.
 *
 * Schedules interpolate linearly in log T between knots (schedule.ts), so compression works on
 * log T: greedy insertion in the style of Douglas & Peucker (1973) — start from the two ends and
 * keep adding the position where the piecewise-linear curve is furthest from the fitted one
 * until every position is within `tolerance`. A fitted curve is smooth, so tens of knots replace
 * a thousand values with an error far below the rollout noise.
 */
import { interpolateLog } from "../control/piecewise.js";

export interface Knots {
  /** Knot positions (token index), strictly increasing. */
  positions: number[];
  /** Temperature at each knot, > 0. */
  temperatures: number[];
}

export interface CompressOptions {
  /** Largest error allowed at any position (in log T for temperatures, nats for offsets); default 0.01. */
  tolerance?: number;
  /** Upper bound on the number of knots; default 48. */
  maxKnots?: number;
}

/**
 * Indices of the knots that keep the piecewise-linear interpolation of `values` within
 * `tolerance` of every value (both ends always kept), by greedy worst-point insertion.
 */
function simplify(values: Float64Array, tolerance: number, maxKnots: number): number[] {
  if (!(tolerance >= 0)) throw new RangeError(`tolerance must be >= 0, got ${tolerance}`);
  if (!Number.isInteger(maxKnots) || maxKnots < 2) throw new RangeError(`maxKnots must be an integer >= 2, got ${maxKnots}`);
  const n = values.length;
  if (n === 1) return [0];
  const chosen = [0, n - 1];
  while (chosen.length < maxKnots) {
    let worst = -1;
    let worstError = tolerance;
    for (let k = 0; k + 1 < chosen.length; k++) {
      const a = chosen[k]!;
      const b = chosen[k + 1]!;
      for (let t = a + 1; t < b; t++) {
        const error = Math.abs(values[t]! - (values[a]! + ((t - a) / (b - a)) * (values[b]! - values[a]!)));
        if (error > worstError) {
          worstError = error;
          worst = t;
        }
      }
    }
    if (worst < 0) break;
    chosen.push(worst);
    chosen.sort((x, y) => x - y);
  }
  return chosen;
}

/**
 * Knots for `temperatures[t]` (t = 0 … n−1, every value finite and > 0), compressed in log T
 * with the end values always kept. Knot temperatures are rounded to 5 significant digits (the
 * JSON stays short; the rounding is 1e-5 in log T, far inside any tolerance).
 */
export function compressKnots(temperatures: ArrayLike<number>, options: CompressOptions = {}): Knots {
  const { tolerance = 0.01, maxKnots = 48 } = options;
  if (temperatures.length === 0) throw new RangeError("temperatures must not be empty");
  const log = Float64Array.from({ length: temperatures.length }, (_, t) => {
    const T = temperatures[t]!;
    if (!(T > 0) || !Number.isFinite(T)) throw new RangeError(`temperatures[${t}] must be finite and > 0, got ${T}`);
    return Math.log(T);
  });
  const positions = simplify(log, tolerance, maxKnots);
  return { positions, temperatures: positions.map((t) => Number(Math.exp(log[t]!).toPrecision(5))) };
}

/** Knots of a curve interpolated linearly in value (an offset table), values rounded to 1e-4. */
export function compressLinear(values: ArrayLike<number>, options: CompressOptions = {}): { positions: number[]; values: number[] } {
  const { tolerance = 0.01, maxKnots = 48 } = options;
  if (values.length === 0) throw new RangeError("values must not be empty");
  const v = Float64Array.from(values);
  if (!v.every(Number.isFinite)) throw new RangeError("values must be finite");
  const positions = simplify(v, tolerance, maxKnots);
  return { positions, values: positions.map((t) => Math.round(v[t]! * 1e4) / 1e4) };
}

/** The schedule's temperature at t = 0 … n−1 (geometric between knots, ends held). */
export function expandKnots(knots: Knots, n: number): Float64Array {
  return Float64Array.from({ length: n }, (_, t) => interpolateLog(knots.positions, knots.temperatures, t));
}
