/**
 * Proxy — feed-forward temperature from a logit statistic, plus a per-row feedback correction.
 *
 * Feed-forward: one pass over the raw logits gives stat(z) (no exponentials); the calibration is
 * solved in closed form for the x* whose predicted entropy is the target, and T_ff = stat(z)/x*
 * (√(var(z)/x*) for the variance). This follows each step's logit scale immediately instead of
 * waiting for feedback to catch up, and needs no candidate softmaxes.
 * Feedback: the table is only an average, so each row keeps a correction c_b on log T, moved
 * in accept by gain · (target − H_b) from the exact entropy the draw already computed.
 * T_b = clamp(T_ff · exp(c_b)). While T sits at a clamp in the direction the error pushes, c_b
 * is not moved (conditional integration), so it does not wind up beyond what the clamp allows.
 *
 * The per-row loop controls conditional entropy, while a caller's target is marginal. Marginal ≥
 * mean conditional (concavity), and the gap grows with position as rows diverge; at t = 0 the
 * two are equal because every row conditions on the same prompt. So rows aim at
 * target − offset(t), with the offset fitted beside the calibration (0 by default).
 *
 * First token: the table is an average over prompts, and one prompt's first distribution can sit
 * far from it. At t = 0 the marginal is one row's entropy, so T_b(0) is solved exactly from the
 * prompt's logits (solve-temperature.ts; V exponentials × 40, once), and c_b starts at
 * log(T_b(0) / T_ff(0)) — this prompt's own offset from the table, as the prompt-aware schedule
 * carries it (prompt-schedule.ts) — instead of 0.
 */
import { rowOf, type Step } from "../sampling/step.js";
import { scaleRowInto } from "../sampling/temperature.js";
import { type Calibration, predictEntropy, rowStatistic, scaledStatistic, solveStatistic, temperatureFor, validateCalibration } from "./calibration.js";
import {
  type Controller,
  type ControllerOptions,
  clampTemperature,
  createFeedbackCounter,
  EARLY_SOLVE_POSITIONS,
  integrateCorrectionsInPlace,
  resolveControllerOptions,
  solveRowTemperature,
  TEMPERATURE_BOUNDS,
} from "./controller.js";

export interface ProxyControllerOptions extends ControllerOptions {
  calibration: Calibration;
  /** Marginal − conditional entropy expected at a position, nats; default 0. */
  offset?: (position: number) => number;
}

/**
 * Per-row proxy controller. During warmup the corrections stay 0 (feed-forward only).
 * `estimate[b]` is the table's predicted entropy at the temperature chosen for row b.
 */
export function createProxyController(options: ProxyControllerOptions): Controller {
  const o = resolveControllerOptions(options);
  const calibration = validateCalibration(options.calibration);
  const offset = options.offset ?? (() => 0);
  const correction: number[] = [];
  const counter = createFeedbackCounter(o);
  return {
    name: "proxy",
    get saturation(): number {
      return counter.saturation;
    },
    apply(step: Step): void {
      const xStar = solveStatistic(calibration, o.target - offset(step.position));
      for (let b = 0; b < step.rows; b++) {
        if (step.active[b] === 0) continue;
        const z = rowOf(step.logits, step, b);
        const raw = rowStatistic(z, calibration.statistic);
        const feedForward = temperatureFor(calibration.statistic, raw, xStar);
        // Solved over the whole allowed range, not [t_min, t_max]: the correction is the table's error on this prompt, and the clamp below still applies.
        // The first positions are solved exactly (EARLY_SOLVE_POSITIONS); the correction is then the table's error there, which feedback carries on.
        if (step.position < EARLY_SOLVE_POSITIONS) {
          const start = correction[b] === undefined ? undefined : feedForward * Math.exp(correction[b]!);
          correction[b] = Math.log(solveRowTemperature(z, o.target - offset(step.position), ...TEMPERATURE_BOUNDS, start) / feedForward);
        }
        const temperature = clampTemperature(feedForward * Math.exp(correction[b] ?? 0), o);
        scaleRowInto(step, b, temperature);
        step.estimate[b] = predictEntropy(calibration, scaledStatistic(calibration.statistic, raw, temperature));
      }
    },
    accept(_tokens: Int32Array, step: Step): void {
      if (!counter.count(step)) return;
      integrateCorrectionsInPlace(correction, step, o.target - offset(step.position), o.gain, o);
    },
    reset(): void {
      correction.length = 0;
      counter.reset();
    },
  };
}
