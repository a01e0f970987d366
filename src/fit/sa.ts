/**
 * `--method sa` — stochastic approximation of the temperature schedule that holds marginal
 * entropy at a target, position by position.
 *
 * Marginal entropy rises monotonically with T, about linearly in log T, so the schedule is the
 * root of H(T(·), t) = H* at every t, found with per-position multiplicative updates
 *   log T(t) ← log T(t) + a · smooth(H* − Ĥ(t)) / g(t)
 * (Robbins & Monro 1951, here Newton-scaled by the slope g = dH/dlog T and relaxed by a ≤ 1).
 * Every iteration replays the same prompts and seeds (common random numbers), so successive
 * measurements differ only by the schedule change and the iteration converges in a handful of
 * rollouts instead of chasing fresh noise. The error is smoothed in position with a kernel that
 * widens with t (smooth.ts): single positions are noisy, the early ones change fast. A
 * measurement may stop short of the last position (cheap early iterations stop at the window);
 * positions past its end take the update of the last measured one, as tables hold their ends,
 * so the curve moves as a whole and stays continuous until a longer measurement corrects it.
 */
import type { Profile } from "./metrics.js";
import { profileMean } from "./metrics.js";
import { type SmoothOptions, smoothInPosition } from "./smooth.js";

/** Runs rollouts with temperature `temperatures[t]` at position t and returns their marginal entropy profile. */
export type MeasureProfile = (temperatures: Float64Array) => Promise<Profile>;

export interface SaOptions {
  /** Marginal-entropy target, nats. */
  target: number;
  /** Starting temperature per position (its length is the number of positions fitted). */
  initial: ArrayLike<number>;
  /** dH/dlog T per position (or one value for all), nats, > 0: the Newton scale of each update. */
  slope: ArrayLike<number> | number;
  /** Measurements (rollout batches) to spend; default 4. */
  iterations?: number;
  /** Relaxation a in (0, 1]; default 0.8, which tolerates a slope off by a factor of ~2. */
  relaxation?: number;
  smooth?: SmoothOptions;
  /** Temperature bounds of the result; default [0.05, 4] (the controllers' clamps). */
  tMin?: number;
  tMax?: number;
  /** Called after each measurement with the iteration index (0-based), the curve and its profile. */
  onIteration?: (iteration: number, temperatures: Float64Array, measured: Float64Array) => void;
}

export interface SaResult {
  /** Fitted temperature per position. */
  temperatures: Float64Array;
  /** Root mean square of Ĥ − H* over measured positions at each iteration, nats. */
  rmse: number[];
}

/** Fit a per-position temperature curve to hold the marginal entropy at `target`. */
export async function fitSa(measure: MeasureProfile, options: SaOptions): Promise<SaResult> {
  const { target, iterations = 4, relaxation = 0.8, tMin = 0.05, tMax = 4 } = options;
  const n = options.initial.length;
  if (!(target >= 0)) throw new RangeError(`target must be >= 0, got ${target}`);
  if (!Number.isInteger(iterations) || iterations < 1) throw new RangeError(`iterations must be a positive integer, got ${iterations}`);
  if (!(relaxation > 0 && relaxation <= 1)) throw new RangeError(`relaxation must be in (0, 1], got ${relaxation}`);
  const slopeAt = (t: number): number => (typeof options.slope === "number" ? options.slope : options.slope[t]!);
  for (let t = 0; t < n; t++) {
    if (!(slopeAt(t) > 0)) throw new RangeError(`slope must be > 0 at every position, got ${slopeAt(t)} at ${t}`);
  }
  const logT = Float64Array.from({ length: n }, (_, t) => Math.log(Math.min(tMax, Math.max(tMin, options.initial[t]!))));
  const rmse: number[] = [];
  for (let k = 0; k < iterations; k++) {
    const temperatures = logT.map(Math.exp);
    const profile = await measure(temperatures);
    const measured = profileMean(profile);
    let se = 0;
    let count = 0;
    const error = new Float64Array(n);
    for (let t = 0; t < n; t++) {
      if (!(profile.count[t]! > 0)) continue;
      error[t] = target - measured[t]!;
      se += error[t]! ** 2;
      count++;
    }
    rmse.push(Math.sqrt(se / count));
    options.onIteration?.(k, temperatures, measured);
    const smoothed = smoothInPosition(error, profile.count, options.smooth);
    let last = n - 1;
    while (last > 0 && !(profile.count[last]! > 0)) last--;
    for (let t = 0; t < n; t++) {
      const e = smoothed[Math.min(t, last)]!;
      const step = Number.isNaN(e) ? 0 : (relaxation * e) / slopeAt(Math.min(t, last));
      logT[t] = Math.min(Math.log(tMax), Math.max(Math.log(tMin), logT[t]! + step));
    }
  }
  return { temperatures: logT.map(Math.exp), rmse };
}
