/**
 * Softmax — stable probabilities and log-sum-exp over one row of scores (logit units).
 *
 * The maximum is subtracted before exponentiating so no term overflows; sums run in float64 and
 * only the final probabilities are rounded to float32. Entries equal to -Infinity are filtered
 * tokens: they get probability 0 and contribute nothing to the sum.
 */

/**
 * log Σ exp(scores_i), nats-scale (same units as the scores). -Infinity when every entry is
 * -Infinity (an empty distribution). Costs V exponentials.
 */
export function logSumExp(scores: Float32Array): number {
  let max = -Infinity;
  for (let i = 0; i < scores.length; i++) if (scores[i]! > max) max = scores[i]!;
  if (max === -Infinity) return -Infinity;
  let sum = 0;
  for (let i = 0; i < scores.length; i++) sum += Math.exp(scores[i]! - max);
  return max + Math.log(sum);
}

/**
 * Writes softmax(scores) into `out` (same length; may be `scores` itself) and returns
 * the log-sum-exp, so callers get log p_i = scores_i − lse without a second pass of logs.
 * When every entry is -Infinity, `out` is all zeros and the result is -Infinity.
 * Costs V exponentials.
 */
export function softmaxInto(scores: Float32Array, out: Float32Array): number {
  let max = -Infinity;
  for (let i = 0; i < scores.length; i++) if (scores[i]! > max) max = scores[i]!;
  if (max === -Infinity) {
    out.fill(0);
    return -Infinity;
  }
  let sum = 0;
  for (let i = 0; i < scores.length; i++) {
    const w = Math.exp(scores[i]! - max);
    out[i] = w;
    sum += w;
  }
  const inv = 1 / sum;
  for (let i = 0; i < out.length; i++) out[i] = out[i]! * inv;
  return max + Math.log(sum);
}

/** log softmax(scores)_i in nats; -Infinity for a filtered entry, NaN if i is out of range. */
export function logSoftmaxAt(scores: Float32Array, i: number): number {
  const s = scores[i];
  if (s === undefined) return Number.NaN;
  if (s === -Infinity) return -Infinity;
  return s - logSumExp(scores);
}
