/**
 * Min tokens — ban end-of-sequence until a row has generated `minTokens` tokens (vLLM's and
 * llama.cpp's `min_tokens`; vLLM's MinTokensLogitsProcessor).
 *
 * The ban is in the distribution, before the draw (−Infinity, as the filters write), not a check
 * after it: an end-of-sequence token that was drawn and then ignored would leave its probability
 * in what the controller measured and in the logprobs reported. A logit processor
 * (logit-processors.ts).
 */
import { OptionError } from "./option-error.js";
import type { Sampler } from "./sampler.js";
import type { Step } from "./step.js";

/** A sampler banning every id of `eosTokenIds` at positions before `minTokens` (a non-negative integer). */
export function createMinTokens(minTokens: number, eosTokenIds: readonly number[]): Sampler {
  if (!Number.isInteger(minTokens) || minTokens < 0) {
    throw new OptionError("minTokens", `min_tokens must be a non-negative integer, got ${minTokens}`);
  }
  return {
    name: "min-tokens",
    apply(step: Step): void {
      if (step.position >= minTokens) return;
      for (let b = 0; b < step.rows; b++) {
        if (step.active[b] === 0) continue;
        for (const id of eosTokenIds) if (id < step.vocab) step.scores[b * step.vocab + id] = -Infinity;
      }
    },
  };
}
