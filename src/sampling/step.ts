/**
 * Step — the working state of one decode step for a batch of B rows over a vocabulary of V.
 *
 * The decode loop builds one Step per token position and passes it down the sampler chain.
 * Order in a chain: a controller writes `temperature`, `estimate` and `scores = logits / T`;
 * filters write `-Infinity` into `scores`; the final draw writes `probs`, `entropy`, `tokens`
 * and `logprobs`; then `accept` lets controllers read what was drawn (feedback costs no extra
 * exponentials: the draw already computed the softmax). `logits` are the model's raw output and
 * are never written.
 */
export interface Step {
  /** B: rows decoded together (the n of the request). */
  readonly rows: number;
  /** V: vocabulary size; row b's logits are `logits.subarray(b * V, (b + 1) * V)`. */
  readonly vocab: number;
  /** Index t of the token being generated (0 = first token after the prompt). */
  readonly position: number;
  /** Model logits [B * V], after any logit processors (biases, penalties: logit-processors.ts). Read-only. */
  readonly logits: Float32Array;
  /** Working scores [B * V] in logit units after temperature: z / T, `-Infinity` where filtered. */
  readonly scores: Float32Array;
  /** Temperature chosen for each row [B]; 1 until a controller sets it. */
  readonly temperature: Float32Array;
  /** The controller's entropy estimate for each row, nats [B]; NaN where it has none. */
  readonly estimate: Float32Array;
  /** Rows still generating [B]; finished rows are skipped by every sampler (1 = active). */
  readonly active: Uint8Array;
  /** Final distribution of each row [B * V], written by the draw (softmax of `scores`). */
  readonly probs: Float32Array;
  /** Exact entropy of each row's final distribution, nats [B], written by the draw. */
  readonly entropy: Float32Array;
  /** Chosen token per row [B], written by the final draw; -1 before. */
  readonly tokens: Int32Array;
  /** Log-probability of the chosen token under the final distribution, nats [B]. */
  readonly logprobs: Float32Array;
}

/**
 * A fresh step over `logits` ([rows * vocab]); `scores` starts as a copy of the logits.
 *
 * Pass the previous step of the same request as `reuse` to recycle its two [B * V] buffers
 * (scores, probs): at a 152k vocabulary and B = 8 that is ~10 MB of garbage per token saved.
 * The previous step must not be read afterwards.
 */
export function createStep(logits: Float32Array, rows: number, vocab: number, position: number, active?: Uint8Array, reuse?: Step): Step {
  if (logits.length !== rows * vocab) {
    throw new RangeError(`logits has ${logits.length} values, expected rows*vocab = ${rows * vocab}`);
  }
  const recycle = reuse !== undefined && reuse.rows === rows && reuse.vocab === vocab;
  const scores = recycle ? reuse.scores : new Float32Array(rows * vocab);
  scores.set(logits);
  return {
    rows,
    vocab,
    position,
    logits,
    scores,
    temperature: new Float32Array(rows).fill(1),
    estimate: new Float32Array(rows).fill(Number.NaN),
    active: active ?? new Uint8Array(rows).fill(1),
    probs: recycle ? reuse.probs : new Float32Array(rows * vocab),
    entropy: new Float32Array(rows).fill(Number.NaN),
    tokens: new Int32Array(rows).fill(-1),
    logprobs: new Float32Array(rows).fill(Number.NaN),
  };
}

/** Row b's slice of a [B * V] array (a view, not a copy). */
export function rowOf(a: Float32Array, step: Step, b: number): Float32Array {
  return a.subarray(b * step.vocab, (b + 1) * step.vocab);
}
