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
 * Unless `tInit` is given, the first EARLY_SOLVE_POSITIONS temperatures are solved exactly for
 * target − offset(t) from the batch's own logits (solve-marginal-temperature.ts): at t = 0 every
 * row conditions on the same prompt, so the batch's marginal is one row's entropy; after that the
 * offset and the rows' disagreement rise fastest, and feedback at gain 0.1 lags them (measured:
 * +11 % in [0,10) at target 3.5 without these solves). Feedback takes over from there.
 */
import { marginalEntropy } from "../sampling/marginal.js";
import { temperatureForMarginalEntropy } from "../sampling/solve-marginal-temperature.js";
import type { Step } from "../sampling/step.js";
import { scaleRowInto } from "../sampling/temperature.js";
import {
  type Controller,
  clampTemperature,
  createFeedbackCounter,
  EARLY_SOLVE_POSITIONS,
  earlySolveWithin,
  type FeedbackControllerOptions,
  resolveControllerOptions,
  resolveInitialTemperature,
} from "./controller.js";

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
  const solves = options.tInit === undefined;
  let solved = false;
  let last = Number.NaN;
  const counter = createFeedbackCounter(o);
  // The per-token sums accept's measurement adds the rows into, sized on the first step.
  let sums = new Float64Array(0);
  return {
    name: "marginal",
    get saturation(): number {
      return counter.saturation;
    },
    apply(step: Step): void {
      if (solves && step.position < EARLY_SOLVE_POSITIONS && step.active.includes(1)) {
        const aim = o.target - offset(step.position);
        const start = solved ? temperature : undefined;
        temperature = temperatureForMarginalEntropy(step.logits, step.rows, step.vocab, step.active, aim, o.tMin, o.tMax, start, earlySolveWithin(start)).temperature;
        solved = true;
      }
      for (let b = 0; b < step.rows; b++) {
        if (step.active[b] === 0) continue;
        scaleRowInto(step, b, temperature);
        step.estimate[b] = last;
      }
    },
    accept(_tokens: Int32Array, step: Step): void {
      const warm = counter.count(step);
      if (sums.length < step.vocab) sums = new Float64Array(step.vocab);
      const h = marginalEntropy(step.probs, step.rows, step.vocab, step.active, sums);
      // NaN only when no row was drawn: nothing to learn from.
      if (Number.isNaN(h)) return;
      last = h;
      if (!warm) return;
      temperature = clampTemperature(temperature * Math.exp(o.gain * (o.target - offset(step.position) - h)), o);
    },
    reset(): void {
      temperature = tInit;
      solved = false;
      last = Number.NaN;
      counter.reset();
    },
  };
}
