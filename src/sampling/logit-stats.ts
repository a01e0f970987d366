/**
 * Logit statistics — one-pass summary of a row of logits, the cheap inputs of the proxy controller.
 *
 * Scaling: for scores z/T, variance is variance(z)/T², std and gap are std(z)/T and gap(z)/T,
 * while gap/std = (max − mean)/std does not depend on T. So a scale-carrying statistic divided by
 * T (or by T² for the variance) predicts the entropy at T without any exponentials.
 */

/** Summary of the finite entries of a row (logit units; variance in logit units²). */
export interface LogitStats {
  mean: number;
  /** Population variance (divides by the count: the vocabulary is the whole population). */
  variance: number;
  std: number;
  max: number;
  /** Index of the first maximum; -1 when no entry is finite. */
  argmax: number;
  /** max − mean. */
  gap: number;
}

/**
 * Mean, variance, std, max, argmax and gap of `z` in one pass (Welford's update, float64
 * accumulators: no cancellation for V up to 152k or logits far from zero). -Infinity entries
 * are filtered tokens and are skipped; with none finite, every field but max/argmax is NaN.
 */
export function logitStats(z: Float32Array): LogitStats {
  let n = 0;
  let mean = 0;
  let m2 = 0;
  let max = -Infinity;
  let argmax = -1;
  for (let i = 0; i < z.length; i++) {
    const x = z[i]!;
    if (x === -Infinity) continue;
    n++;
    const d = x - mean;
    mean += d / n;
    m2 += d * (x - mean);
    if (x > max) {
      max = x;
      argmax = i;
    }
  }
  if (n === 0) return { mean: NaN, variance: NaN, std: NaN, max, argmax, gap: NaN };
  // m2 is a sum of non-negative terms in exact arithmetic; rounding can leave it at -0.
  const variance = Math.max(0, m2 / n);
  return { mean, variance, std: Math.sqrt(variance), max, argmax, gap: max - mean };
}
