/**
 * Min-p — keep tokens at least `minP` times as likely as the most likely one (Nguyen et al. 2024,
 * "Turning Up the Heat: Min-p Sampling for Creative and Coherent LLM Outputs").
 *
 * p_i ≥ minP · p_max is s_i ≥ s_max + log(minP) in scores, so the filter needs no softmax. The
 * most likely token always passes.
 */
import { OptionError } from "./option-error.js";
import type { Sampler } from "./sampler.js";
import { rowOf, type Step } from "./step.js";

/** Min-p filter; `minP` in [0, 1], 0 keeps everything (leave it out of the chain). */
export function createMinP(minP: number): Sampler {
  if (!(minP >= 0 && minP <= 1)) throw new OptionError("minP", `min_p must be in [0, 1], got ${minP}`);
  const logMinP = Math.log(minP);
  return {
    name: "min-p",
    apply(step: Step): void {
      if (minP === 0) return;
      for (let b = 0; b < step.rows; b++) {
        if (step.active[b] === 0) continue;
        const scores = rowOf(step.scores, step, b);
        let max = -Infinity;
        for (let i = 0; i < scores.length; i++) if (scores[i]! > max) max = scores[i]!;
        const cut = max + logMinP;
        for (let i = 0; i < scores.length; i++) if (scores[i]! < cut) scores[i] = -Infinity;
      }
    },
  };
}
