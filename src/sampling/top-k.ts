/**
 * Top-k — keep the k highest-scoring tokens of each row (Fan, Lewis & Dauphin 2018,
 * "Hierarchical Neural Story Generation").
 *
 * Exactly k tokens survive: ties at the k-th score are broken toward the lower token id, so the
 * result does not depend on the order a sort happens to leave them in.
 */
import { OptionError } from "./option-error.js";
import type { Sampler } from "./sampler.js";
import { kthLargestInPlace } from "./select.js";
import { rowOf, type Step } from "./step.js";

/** Top-k filter; `k` is a non-negative integer, 0 keeps everything (leave it out of the chain). */
export function createTopK(k: number): Sampler {
  if (!Number.isInteger(k) || k < 0) throw new OptionError("topK", `top_k must be a non-negative integer, got ${k}`);
  // Scratch for quickselect, reused across steps; it carries no state between calls.
  let scratch = new Float32Array(0);
  return {
    name: "top-k",
    apply(step: Step): void {
      if (k === 0 || k >= step.vocab) return;
      if (scratch.length !== step.vocab) scratch = new Float32Array(step.vocab);
      for (let b = 0; b < step.rows; b++) {
        if (step.active[b] === 0) continue;
        const scores = rowOf(step.scores, step, b);
        scratch.set(scores);
        const kth = kthLargestInPlace(scratch, k);
        let ties = k;
        for (let i = 0; i < scores.length; i++) if (scores[i]! > kth) ties--;
        for (let i = 0; i < scores.length; i++) {
          if (scores[i]! > kth) continue;
          if (scores[i] === kth && ties > 0) ties--;
          else scores[i] = -Infinity;
        }
      }
    },
  };
}
