/**
 * Greedy — keep only each row's best-scoring token: sampling in the limit T → 0 (OpenAI's
 * `temperature: 0`). Ties go to the lower token id, as in top-k.
 *
 * It records temperature 0 for the rows it decides, so telemetry reports the temperature the
 * token was chosen at, not the T = 1 the controller before it wrote. The draw then sees one
 * finite score: entropy 0, logprob 0.
 */
import type { Sampler } from "./sampler.js";
import { rowOf, type Step } from "./step.js";

export function createGreedy(): Sampler {
  return {
    name: "greedy",
    apply(step: Step): void {
      for (let b = 0; b < step.rows; b++) {
        if (step.active[b] === 0) continue;
        const scores = rowOf(step.scores, step, b);
        let best = 0;
        for (let i = 1; i < scores.length; i++) if (scores[i]! > scores[best]!) best = i;
        scores.fill(-Infinity, 0, best);
        scores.fill(-Infinity, best + 1);
        step.temperature[b] = 0;
      }
    },
  };
}
