/**
 * Marginal — one temperature for a batch of rows, steered by the batch's marginal entropy.
 *
 * For n > 1 rows decoded together, the caller's target is the entropy of a token at this
 * position across the rows, H(mean_b p_b), which exceeds each row's conditional entropy by the
 * rows' disagreement. accept measures it from the `probs` the draw wrote (B·V additions, V logs)
 * and moves the shared log T by gain · (target − H_marg), clamped — integral action as in
 * exact.ts. One T for the batch keeps the rows exchangeable; a per-row T (e.g. exact control of
 * each row at a conditional target) is an alternative the evaluation may revisit.
 *
 * A target means the marginal over B = 30 continuations in every mode. A batch of n < 30 rows
 * mixes fewer continuations and reads lower (H over k rows is at most their conditional entropy
 * + ln k), so the batch aims at target − offset(t): the expected 30-row − n-row gap at this
 * position and target, fitted offline by subsampling the fitter's 30-row rollouts.
 *
 * At t = 0 every row conditions on the same prompt, so the batch's marginal is one row's entropy
 * and, unless `tInit` is given, the first temperature is solved exactly for target − offset(0)
 * from the first row's logits (solve-temperature.ts) instead of starting at T = 1.
 */
import { marginalEntropy } from "../sampling/marginal.js";
import { temperatureForEntropy } from "../sampling/solve-temperature.js";
import { rowOf, type Step } from "../sampling/step.js";
import { scaleRowInto } from "../sampling/temperature.js";
import { type Controller, clampTemperature, createFeedbackCounter, type FeedbackControllerOptions, resolveControllerOptions, resolveInitialTemperature } from "./controller.js";

/**
 * Batch-marginal controller. `estimate[b]` is the marginal entropy measured at the previous
 * step (NaN before the first), the same for every active row.
 */
export interface MarginalControllerOptions extends FeedbackControllerOptions {
  /** The 30-row − n-row marginal entropy expected at a position, nats; default 0 (the batch's own marginal). */
  offset?: (position: number) => number;
}

export function createMarginalController(options: MarginalControllerOptions): Controller {
  const o = resolveControllerOptions(options);
  const offset = options.offset ?? (() => 0);
  const tInit = resolveInitialTemperature(options.tInit, o);
  let temperature = tInit;
  let solved = options.tInit !== undefined;
  let last = Number.NaN;
  const counter = createFeedbackCounter(o);
  return {
    name: "marginal",
    get saturation(): number {
      return counter.saturation;
    },
    apply(step: Step): void {
      if (!solved) {
        solved = true;
        const first = step.active.indexOf(1);
        if (step.position === 0 && first >= 0) temperature = temperatureForEntropy(rowOf(step.logits, step, first), o.target - offset(0), o.tMin, o.tMax);
      }
      for (let b = 0; b < step.rows; b++) {
        if (step.active[b] === 0) continue;
        scaleRowInto(step, b, temperature);
        step.estimate[b] = last;
      }
    },
    accept(_tokens: Int32Array, step: Step): void {
      const warm = counter.count(step);
      const h = marginalEntropy(step.probs, step.rows, step.vocab, step.active);
      // NaN only when no row was drawn: nothing to learn from.
      if (Number.isNaN(h)) return;
      last = h;
      if (!warm) return;
      temperature = clampTemperature(temperature * Math.exp(o.gain * (o.target - offset(step.position) - h)), o);
    },
    reset(): void {
      temperature = tInit;
      solved = options.tInit !== undefined;
      last = Number.NaN;
      counter.reset();
    },
  };
}
