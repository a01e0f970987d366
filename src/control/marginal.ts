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
 * That gap is an average over prompts; one prompt's rows may diverge faster or slower. Given
 * `spread`, the fitted 30-row − 1-row gap (the proxy's offset), the batch scales the gap by its
 * own divergence: along the pooled curve of marginal entropy against rows mixed, 1 → k rows adds
 * spread − offset and k → 30 adds offset, so a batch whose k rows lie s times as far above their
 * conditional entropy (H_k − mean H_b, the draw's per-row entropies) is taken to lie s times as
 * far below its 30-row marginal: aim = target − s · offset(t). s is shrunk towards 1 by
 * SCALE_PRIOR nats (at t = 0 all rows share the prompt and both gaps are 0) and clamped to
 * [0, SCALE_MAX]. The early solves aim with the previous step's s: re-solving at the scale the
 * solved T gives reached the same 30-row marginals within noise and tripled the cost of a
 * 64-token request (bench controller.marginal 0.44 of a model step, its band 0.2).
 *
 * Measured on docs/eval's plan (docs/eval-marginal: 20 held-out prompts, `npm run eval --
 * --modes marginal`): at target 3.5 the worst prompt's [0,10) / [10,50) / [50,300) bias went
 * from +5.6 / −4.8 / +3.9 % to +3.4 / −3.1 / +2.7 % at n = 4 and from +4.7 / +3.8 / +3.3 % to
 * +4.5 / +3.6 / +1.1 % at n = 8; pooled within 2 % and every prompt within 3 % at 4.6 to 6.5.
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
  /** The 30-row − 1-row gap expected at a position, nats (with `offset`: the offset is scaled by the batch's own divergence). */
  spread?: (position: number) => number;
}

/** Nats of pooled divergence the batch's scale is shrunk with: s = (H_k − H̄_b + prior) / (spread − offset + prior). */
export const SCALE_PRIOR = 0.05;
/** The largest scale of the fitted gap one batch may claim. */
export const SCALE_MAX = 3;

/**
 * How many times the pooled divergence this batch shows: (marginal − mean conditional + prior) /
 * (spread − offset + prior), in [0, SCALE_MAX]; 1 where the pooled curves give nothing to compare.
 */
export function divergenceScale(marginal: number, conditional: number, spread: number, offset: number): number {
  const pooled = spread - offset + SCALE_PRIOR;
  if (!(pooled > 0) || !Number.isFinite(marginal) || !Number.isFinite(conditional)) return 1;
  return Math.min(SCALE_MAX, Math.max(0, (marginal - conditional + SCALE_PRIOR) / pooled));
}

export function createMarginalController(options: MarginalControllerOptions): Controller {
  const o = resolveControllerOptions(options);
  const offset = options.offset ?? (() => 0);
  const spread = options.spread;
  // This batch's divergence over the pooled one (1 until measured, or without `spread`).
  let scale = 1;
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
      const t = step.position;
      if (solves && t < EARLY_SOLVE_POSITIONS && step.active.includes(1)) {
        const aim = o.target - scale * offset(t);
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
      const t = step.position;
      const gap = offset(t);
      // Without a fitted gap there is nothing to scale (the aim is the target itself).
      if (spread) scale = divergenceScale(h, meanEntropy(step), spread(t), gap);
      if (!warm) return;
      temperature = clampTemperature(temperature * Math.exp(o.gain * (o.target - scale * gap - h)), o);
    },
    reset(): void {
      temperature = tInit;
      solved = false;
      scale = 1;
      last = Number.NaN;
      counter.reset();
    },
  };
}

/** Mean over active rows of the exact entropy the draw wrote for each row, nats. */
function meanEntropy(step: Step): number {
  let sum = 0;
  let count = 0;
  for (let b = 0; b < step.rows; b++) {
    if (step.active[b] === 0) continue;
    sum += step.entropy[b]!;
    count++;
  }
  return count > 0 ? sum / count : Number.NaN;
}
