/**
 * `--method optimize` — the baseline: a low-dimensional parameterisation of log T(t) and a
 * derivative-free optimiser on the rollout mean squared error of marginal entropy.
 *
 * log T is linear between knots at geometrically spaced positions (0, 4, 16, 64, 256, …, and
 * the last position), the same form a schedule file stores, so the optimum needs no
 * compression. The MSE weights positions inside the window (the first `window` tokens, where a
 * reader meets the text and marginal entropy moves fastest) above the rest. Nelder–Mead spends
 * one rollout batch per evaluation, with common random numbers so the objective is a fixed
 * function of the parameters.
 */
import type { Knots } from "./knots.js";
import { expandKnots } from "./knots.js";
import { nelderMead } from "./nelder-mead.js";
import type { MeasureProfile } from "./sa.js";

export interface OptimizeOptions {
  target: number;
  /** Starting temperature per position (its length is the number of positions fitted). */
  initial: ArrayLike<number>;
  /** Positions weighted fully in the MSE; default 300. */
  window?: number;
  /** Weight of positions at or past the window relative to those inside it; default 0.25. */
  tailWeight?: number;
  /** Objective evaluations (rollout batches) to spend; default 60. */
  maxEvaluations?: number;
  /** Initial simplex size in log T; default 0.2. */
  step?: number;
  /** Knot positions; default geometric 0, 4, 16, … below the last position, then the last. */
  knots?: readonly number[];
  onEvaluation?: (evaluations: number, bestMse: number) => void;
}

export interface OptimizeResult {
  knots: Knots;
  evaluations: number;
  /** Weighted MSE of the best evaluation, nats². */
  mse: number;
}

/** 0, 4, 16, 64, … below n − 1, then n − 1. */
export function geometricKnots(n: number, ratio = 4): number[] {
  const out = [0];
  for (let p = ratio; p < n - 1; p *= ratio) out.push(p);
  if (n > 1) out.push(n - 1);
  return out;
}

/** Weighted mean squared error of the profile mean against `target`, the optimiser's objective. */
export function weightedMse(sum: Float64Array, count: Float64Array, target: number, window: number, tailWeight: number): number {
  let se = 0;
  let w = 0;
  for (let t = 0; t < sum.length; t++) {
    const c = count[t]!;
    if (!(c > 0)) continue;
    const weight = t < window ? 1 : tailWeight;
    se += weight * (sum[t]! / c - target) ** 2;
    w += weight;
  }
  return w > 0 ? se / w : Number.NaN;
}

/** Fit knot temperatures by Nelder–Mead on the weighted rollout MSE. */
export async function fitOptimize(measure: MeasureProfile, options: OptimizeOptions): Promise<OptimizeResult> {
  const { target, window = 300, tailWeight = 0.25, maxEvaluations = 60, step = 0.2 } = options;
  const n = options.initial.length;
  const positions = [...(options.knots ?? geometricKnots(n))];
  const x0 = positions.map((p) => Math.log(options.initial[p]!));
  const knotsOf = (x: readonly number[]): Knots => ({ positions, temperatures: x.map(Math.exp) });
  const best = await nelderMead(
    async (x) => {
      // Temperatures outside the controllers' clamps are never applied; keep the optimiser out too.
      if (x.some((v) => v < Math.log(0.05) || v > Math.log(4))) return Infinity;
      const profile = await measure(expandKnots(knotsOf(x), n));
      return weightedMse(profile.sum, profile.count, target, window, tailWeight);
    },
    x0,
    { step, maxEvaluations, onEvaluation: (b) => options.onEvaluation?.(b.evaluations, b.value) },
  );
  return { knots: knotsOf(best.x), evaluations: best.evaluations, mse: best.value };
}
