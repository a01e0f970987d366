/**
 * Entropy — Shannon entropy in nats of a softmax distribution, in the two forms the engine uses.
 *
 * Cost model: the draw has already paid V exponentials for softmax(scores) at the sampled T.
 * The entropy of that same distribution is then one more pass with no exponentials or logs
 * (`entropyOfProbs` with the log-sum-exp), so exact feedback on the sampled distribution is
 * nearly free. Evaluating entropy at a *different* temperature (`entropyOf`) costs V fresh
 * exponentials — that is the price the proxy controller avoids.
 */

/**
 * Exact entropy, nats, of softmax(z / temperature). Stable for any finite scale: uses
 * H = log S − Σ w_i (s_i − m) / S with s = z/T, m = max s, w_i = exp(s_i − m), S = Σ w_i.
 * -Infinity entries are filtered tokens. Returns NaN when temperature is not > 0 or when every
 * entry is filtered (no distribution). Costs V exponentials.
 */
export function entropyOf(z: Float32Array, temperature: number): number {
  if (!(temperature > 0)) return Number.NaN;
  const inv = 1 / temperature;
  let max = -Infinity;
  for (let i = 0; i < z.length; i++) {
    // -Infinity · (1/Infinity) would be NaN; a filtered token stays filtered at any T.
    if (z[i] !== -Infinity && z[i]! * inv > max) max = z[i]! * inv;
  }
  if (max === -Infinity) return Number.NaN;
  let sum = 0;
  let weighted = 0;
  for (let i = 0; i < z.length; i++) {
    if (z[i] === -Infinity) continue;
    const d = z[i]! * inv - max;
    const w = Math.exp(d);
    sum += w;
    weighted += w * d;
  }
  return Math.log(sum) - weighted / sum;
}

/**
 * Entropy, nats, of a distribution whose probabilities are already computed.
 *
 * With `logSumExp` and the `scores` the probabilities came from (as `softmaxInto` returns them):
 * H = lse − Σ p_i s_i, evaluated as Σ p_i (lse − s_i) so every term is non-negative and nothing
 * cancels — one pass, no exponentials, no logs. Without them: H = −Σ p_i log p_i (V logs).
 * Zero-probability entries (including filtered ones) contribute 0.
 */
export function entropyOfProbs(p: Float32Array, logSumExp?: number, scores?: Float32Array): number {
  let h = 0;
  if (logSumExp !== undefined && scores !== undefined) {
    for (let i = 0; i < p.length; i++) if (p[i]! > 0) h += p[i]! * (logSumExp - scores[i]!);
    return h;
  }
  for (let i = 0; i < p.length; i++) if (p[i]! > 0) h -= p[i]! * Math.log(p[i]!);
  return h;
}

/** Bound on an entropy option when no vocabulary is known, nats: far above any real ln V. */
export const MAX_NATS = 32;

/** The largest entropy a distribution over `vocabSize` tokens can have (ln V), nats; MAX_NATS without one. */
export function maxEntropy(vocabSize: number | undefined): number {
  return vocabSize === undefined ? MAX_NATS : Math.log(vocabSize);
}
