/**
 * Draw — the final sampler: softmax, entropy, and one categorical draw per active row.
 *
 * It writes everything feedback needs (`probs`, `entropy`, `logprobs`) from the one softmax it
 * must compute anyway, so controllers read exact entropy in `accept` at the cost of one pass
 * without exponentials (see entropy.ts).
 */
import { drawCategorical } from "./categorical.js";
import { entropyOfProbs } from "./entropy.js";
import type { Rng } from "./rng.js";
import type { Sampler } from "./sampler.js";
import { softmaxInto } from "./softmax.js";
import { rowOf, type Step } from "./step.js";

/**
 * The terminal sampler. Rows are drawn in row order with exactly one `rng.next()` per active row
 * and none for inactive rows, so a seed replays exactly given the same active pattern. Inactive
 * rows get token -1 and keep their other fields untouched.
 */
export function createDraw(rng: Rng): Sampler {
  return {
    name: "draw",
    apply(step: Step): void {
      for (let b = 0; b < step.rows; b++) {
        if (step.active[b] === 0) {
          step.tokens[b] = -1;
          continue;
        }
        const scores = rowOf(step.scores, step, b);
        const probs = rowOf(step.probs, step, b);
        const lse = softmaxInto(scores, probs);
        step.entropy[b] = entropyOfProbs(probs, lse, scores);
        const token = drawCategorical(probs, rng.next());
        step.tokens[b] = token;
        step.logprobs[b] = token < 0 ? Number.NaN : scores[token]! - lse;
      }
    },
  };
}
