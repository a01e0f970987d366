/**
 * Top-p (nucleus) — keep the smallest set of most likely tokens whose probability reaches p
 * (Holtzman et al. 2020, "The Curious Case of Neural Text Degeneration").
 *
 * Tokens are ranked by score, ties toward the lower token id; the nucleus is the shortest prefix
 * of that ranking with cumulative probability ≥ p. No full sort: a token of rank j is in the
 * nucleus only if the mass from rank j on exceeds 1 − p, and at most V tokens each ≤ p_(j) carry
 * it, so p_(j) > (1 − p)/V. Only tokens above that bound are sorted — usually a handful.
 */
import { OptionError } from "./option-error.js";
import type { Sampler } from "./sampler.js";
import { logSumExp } from "./softmax.js";
import { rowOf, type Step } from "./step.js";

/** Nucleus filter; `p` in (0, 1], 1 keeps everything (leave it out of the chain). */
export function createTopP(p: number): Sampler {
  if (!(p > 0 && p <= 1)) throw new OptionError("topP", `top_p must be in (0, 1], got ${p}`);
  // Candidate indices, reused across steps; no state between calls.
  let candidates = new Int32Array(0);
  return {
    name: "top-p",
    apply(step: Step): void {
      if (p === 1) return;
      if (candidates.length !== step.vocab) candidates = new Int32Array(step.vocab);
      const bound = Math.log((1 - p) / step.vocab);
      for (let b = 0; b < step.rows; b++) {
        if (step.active[b] === 0) continue;
        const scores = rowOf(step.scores, step, b);
        const lse = logSumExp(scores);
        if (lse === -Infinity) continue;
        const cut = lse + bound;
        let n = 0;
        for (let i = 0; i < scores.length; i++) if (scores[i]! > cut) candidates[n++] = i;
        const ranked = candidates.subarray(0, n).sort((x, y) => scores[y]! - scores[x]! || x - y);
        let mass = 0;
        let last = ranked[0]!;
        for (const i of ranked) {
          last = i;
          mass += Math.exp(scores[i]! - lse);
          if (mass >= p) break;
        }
        const edge = scores[last]!;
        for (let i = 0; i < scores.length; i++) {
          if (scores[i]! < edge || (scores[i] === edge && i > last)) scores[i] = -Infinity;
        }
      }
    },
  };
}
