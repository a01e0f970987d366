/**
 * Prompt-aware schedule — the fitted T(t) as feed-forward, corrected per row by what the draw
 * already measures, so the target holds for the caller's own prompt and not only on average
 * over the prompts the schedule was fitted on.
 *
 * t = 0: every row conditions on the same prompt, so the marginal entropy over any number of
 * continuations equals one row's entropy, and T_b(0) is solved exactly from the prompt's logits
 * (solve-temperature.ts). c_b = log(T_b(0) / T_fit(0)) is then this prompt's own offset from the
 * fitted average. Temperatures stay within the request's [t_min, t_max].
 * t > 0: T_b = clamp(T_fit(t) · exp(c_b)). With an offset table (marginal − conditional at this
 * target, fitted beside the proxy calibration), accept moves c_b by gain · (target − offset(t) −
 * H_b) from the exact entropy H_b the draw computed — the proxy's feedback (proxy.ts) on the
 * schedule's feed-forward, with the same conditional integration at a clamp. Without one
 * (gain 0) the schedule runs open-loop after the first token, carrying the prompt's offset.
 *
 * Handover: with an offset the first EARLY_SOLVE_POSITIONS positions are each solved exactly, and
 * each solve's c_b is the prompt's offset from the fitted T plus that one distribution's own
 * shape. The row carries the mean of its solved c_b into feedback, not the last: the last one's
 * shape says nothing about the next distribution, and carried on it overshot. On docs/eval's 20
 * held-out prompts and seeds (docs/eval: the last; docs/eval-schedule: the mean) the pooled
 * [10,50) bias at target 3.5 went from +1.7 % to +0.2 % and the worst prompt's from +7.5 % to
 * +5.5 %; at 4.6 the worst from +3.1 % to +2.8 %. The proxy keeps its last c_b: its feed-forward
 * already follows each distribution, and in a side check (20 prompts × 100 tokens, not in the
 * repository) the mean undershot there, [10,50) from −0.0 % to −0.4 % at 3.5.
 */

import { rowOf, type Step } from "../sampling/step.js";
import { scaleRowInto } from "../sampling/temperature.js";
import {
  type Controller,
  type ControllerOptions,
  clampTemperature,
  createFeedbackCounter,
  EARLY_SOLVE_POSITIONS,
  integrateCorrectionsInPlace,
  resolveControllerOptions,
  solveRowTemperature,
} from "./controller.js";
import { type ScheduleSet, temperatureAt } from "./schedule.js";

export interface PromptScheduleOptions extends ControllerOptions {
  readonly schedules: ScheduleSet;
  /** Marginal − conditional entropy expected at a position for this target, nats; feedback needs it. */
  readonly offset?: (position: number) => number;
}

/**
 * Prompt-aware schedule controller for `target` (OutOfRangeError outside the fitted targets).
 * `estimate[b]` is the target, as for the plain schedule. Feedback runs only with an `offset`.
 */
export function createPromptScheduleController(options: PromptScheduleOptions): Controller {
  const o = resolveControllerOptions(options);
  const { schedules, offset } = options;
  const gain = offset ? o.gain : 0;
  temperatureAt(schedules, o.target, 0);
  const correction: number[] = [];
  // Per row, the sum and count of the corrections solved before feedback took the row on.
  const solvedSum: number[] = [];
  const solvedCount: number[] = [];
  const counter = createFeedbackCounter(o);
  /**
   * A row's first correction. At t = 0 its entropy is the marginal, so T is solved for the
   * target exactly; a row first seen later (a fallback taking over mid-generation) is solved for
   * what its conditional entropy should read there, target − offset(t), or runs the fitted T
   * when there is no offset to say so.
   */
  const initialCorrection = (z: Float32Array, position: number, fitted: number, last?: number): number => {
    const aim = position === 0 ? o.target : offset ? o.target - offset(position) : undefined;
    const start = last === undefined ? undefined : fitted * Math.exp(last);
    return aim === undefined ? 0 : Math.log(solveRowTemperature(z, aim, o.tMin, o.tMax, start) / fitted);
  };
  return {
    name: "schedule",
    get saturation(): number {
      return counter.saturation;
    },
    apply(step: Step): void {
      const fitted = temperatureAt(schedules, o.target, step.position);
      for (let b = 0; b < step.rows; b++) {
        if (step.active[b] === 0) continue;
        // With an offset to aim by, the first positions are solved exactly too (EARLY_SOLVE_POSITIONS).
        if (correction[b] === undefined || (offset && step.position < EARLY_SOLVE_POSITIONS)) {
          const solved = initialCorrection(rowOf(step.logits, step, b), step.position, fitted, correction[b]);
          correction[b] = solved;
          solvedSum[b] = (solvedSum[b] ?? 0) + solved;
          solvedCount[b] = (solvedCount[b] ?? 0) + 1;
        } else if (solvedCount[b]) {
          // The first position past the solves: hand over their mean (see the header), once.
          correction[b] = solvedSum[b]! / solvedCount[b]!;
          solvedCount[b] = 0;
        }
        scaleRowInto(step, b, clampTemperature(fitted * Math.exp(correction[b]!), o));
        step.estimate[b] = o.target;
      }
    },
    accept(_tokens: Int32Array, step: Step): void {
      if (!counter.count(step) || gain === 0 || !offset) return;
      integrateCorrectionsInPlace(correction, step, o.target - offset(step.position), gain, o);
    },
    reset(): void {
      correction.length = 0;
      solvedSum.length = 0;
      solvedCount.length = 0;
      counter.reset();
    },
  };
}
