/**
 * Exact — the reference controller: feedback on the exact entropy of the distribution each row
 * actually sampled.
 *
 * Each row keeps its own T. After the draw (which computed the entropy from its softmax at no
 * extra exponentials), accept moves log T_b += gain · (target − H_b), clamped. The correction is
 * applied to the state, so it accumulates: integral action on log T, like Mirostat's update of mu
 * (Basu et al. 2021), which removes any steady offset on a plant that drifts slowly.
 */
import type { Step } from "../sampling/step.js";
import { scaleRowInto } from "../sampling/temperature.js";
import {
  type Controller,
  type FeedbackControllerOptions,
  clampTemperature,
  createFeedbackCounter,
  resolveControllerOptions,
  resolveInitialTemperature,
} from "./controller.js";

/**
 * Per-row exact-entropy controller. `estimate[b]` is NaN: the exact value exists only once the
 * draw has run, in `step.entropy[b]`.
 */
export function createExactController(options: FeedbackControllerOptions): Controller {
  const o = resolveControllerOptions(options);
  const tInit = resolveInitialTemperature(options.tInit, o);
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
        scaleRowInto(step, b, temperature[b] ?? tInit);
        step.estimate[b] = Number.NaN;
      }
    },
    accept(_tokens: Int32Array, step: Step): void {
      if (!counter.count(step)) return;
      for (let b = 0; b < step.rows; b++) {
        const h = step.entropy[b]!;
        if (step.active[b] === 0 || Number.isNaN(h)) continue;
        temperature[b] = clampTemperature((temperature[b] ?? tInit) * Math.exp(o.gain * (o.target - h)), o);
      }
    },
    reset(): void {
      temperature.length = 0;
      counter.reset();
    },
  };
}
