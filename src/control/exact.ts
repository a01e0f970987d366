/**
 * Exact — the reference controller: feedback on the exact entropy of the distribution each row
 * actually sampled.
 *
 * Each row keeps its own T. After the draw (which computed the entropy from its softmax at no
 * extra exponentials), accept moves log T_b += gain · (target − H_b), clamped. The correction is
 * applied to the state, so it accumulates: integral action on log T, like Mirostat's update of mu
 * (Basu et al. 2021), which removes any steady offset on a plant that drifts slowly.
 *
 * A row's entropy is a conditional entropy; a caller's target is the marginal over 30
 * continuations, which exceeds it by a gap that grows with position. With `offset` (the gap
 * fitted beside the proxy calibration) rows aim at target − offset(t), so the target means the
 * same as in every other mode; without one, it is each row's conditional entropy.
 *
 * A row's first temperature (unless `tInit` is given) is solved exactly from its logits for that
 * aim (solve-temperature.ts): at t = 0 every row shares the prompt, so the aim is the target itself
 * and the first token holds it for the caller's own prompt, instead of starting at T = 1 and
 * spending the first window's tokens on the way there.
 */
import { rowOf, type Step } from "../sampling/step.js";
import { scaleRowInto } from "../sampling/temperature.js";
import {
  type Controller,
  clampTemperature,
  createFeedbackCounter,
  EARLY_SOLVE_POSITIONS,
  type FeedbackControllerOptions,
  resolveControllerOptions,
  resolveInitialTemperature,
  solveRowTemperature,
} from "./controller.js";

/**
 * Per-row exact-entropy controller. `estimate[b]` is NaN: the exact value exists only once the
 * draw has run, in `step.entropy[b]`.
 */
export interface ExactControllerOptions extends FeedbackControllerOptions {
  /** Marginal − conditional entropy expected at a position, nats; default 0 (a conditional target). */
  offset?: (position: number) => number;
}

export function createExactController(options: ExactControllerOptions): Controller {
  const o = resolveControllerOptions(options);
  const offset = options.offset ?? (() => 0);
  const tInit = resolveInitialTemperature(options.tInit, o);
  const solveFirst = options.tInit === undefined;
  const temperature: number[] = [];
  const counter = createFeedbackCounter(o);
  return {
    name: "exact",
    get saturation(): number {
      return counter.saturation;
    },
    apply(step: Step): void {
      for (let b = 0; b < step.rows; b++) {
        if (step.active[b] === 0) continue;
        if (solveFirst && (temperature[b] === undefined || step.position < EARLY_SOLVE_POSITIONS)) {
          temperature[b] = solveRowTemperature(rowOf(step.logits, step, b), o.target - offset(step.position), o.tMin, o.tMax, temperature[b]);
        }
        scaleRowInto(step, b, temperature[b] ?? tInit);
        step.estimate[b] = Number.NaN;
      }
    },
    accept(_tokens: Int32Array, step: Step): void {
      if (!counter.count(step)) return;
      const aim = o.target - offset(step.position);
      for (let b = 0; b < step.rows; b++) {
        const h = step.entropy[b]!;
        if (step.active[b] === 0 || Number.isNaN(h)) continue;
        temperature[b] = clampTemperature((temperature[b] ?? tInit) * Math.exp(o.gain * (aim - h)), o);
      }
    },
    reset(): void {
      temperature.length = 0;
      counter.reset();
    },
  };
}
