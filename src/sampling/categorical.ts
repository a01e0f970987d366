/**
 * Categorical draw — inverse-CDF sampling from a probability row with the uniform passed in,
 * after llama2.c's `sample_mult`, so the caller's seeded Rng decides every draw.
 */

/**
 * Index i with probability probs[i], given u uniform in [0, 1). The CDF of float32
 * probabilities can sum to slightly less than 1; if u lands beyond it, the last entry with
 * positive probability is returned (in case of rounding errors), so an index with probability 0
 * is never chosen. -1 only when no entry is positive.
 */
export function drawCategorical(probs: Float32Array, u: number): number {
  let cdf = 0;
  let last = -1;
  for (let i = 0; i < probs.length; i++) {
    const p = probs[i]!;
    if (!(p > 0)) continue;
    cdf += p;
    last = i;
    if (u < cdf) return i;
  }
  return last;
}
