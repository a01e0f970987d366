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

/** The first pass of `logitStats`: count, mean, max and argmax of the finite entries. */
export interface LogitCenter {
  /** Finite entries. */
  count: number;
  /** NaN when no entry is finite. */
  mean: number;
  max: number;
  /** Index of the first maximum; -1 when no entry is finite. */
  argmax: number;
}

/** Count, mean, max and argmax of `z` in one pass, skipping -Infinity (filtered tokens). */
export function logitCenter(z: Float32Array): LogitCenter {
  let count = 0;
  let sum = 0;
  let max = -Infinity;
  let argmax = -1;
  for (let i = 0; i < z.length; i++) {
    const x = z[i]!;
    if (x === -Infinity) continue;
    count++;
    sum += x;
    if (x > max) {
      max = x;
      argmax = i;
    }
  }
  return { count, mean: count === 0 ? NaN : sum / count, max, argmax };
}

/**
 * Mean, variance, std, max, argmax and gap of `z` in two passes: the sum, count and max, then the
 * squared deviations from that mean (float64 accumulators, so no cancellation for V up to 152k or
 * logits far from zero). Welford's one-pass update divides per element, a serial chain through
 * the running mean: measured 5.3 ns per element against 2.1 for these two passes, and the proxy
 * runs its statistic on every row at every step. -Infinity entries are filtered tokens and are
 * skipped; with none finite, every field but max/argmax is NaN.
 */
export function logitStats(z: Float32Array): LogitStats {
  const { count, mean, max, argmax } = logitCenter(z);
  if (count === 0) return { mean: NaN, variance: NaN, std: NaN, max, argmax, gap: NaN };
  let m2 = 0;
  for (let i = 0; i < z.length; i++) {
    const x = z[i]!;
    if (x === -Infinity) continue;
    const d = x - mean;
    m2 += d * d;
  }
  const variance = m2 / count;
  return { mean, variance, std: Math.sqrt(variance), max, argmax, gap: max - mean };
}
