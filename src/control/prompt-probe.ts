/**
 * Prompt probe — how fast this prompt's continuations diverge, measured on a few shadow rows
 * before a per-row request decodes, so its first positions aim at this prompt's gap and not at
 * the average over the fitting prompts.
 *
 * The per-row controllers (proxy, exact, the prompt-aware schedule) solve each row's first
 * EARLY_SOLVE_POSITIONS temperatures exactly for a conditional entropy of target − offset(t),
 * with offset(t) the 30-row marginal − conditional gap pooled over prompts. One row cannot see
 * how far its own prompt's continuations spread: on docs/eval's held-out prompt "Now these are
 * the generations of" at target 3.5 the 30-row marginal over [0,10) read −10.3 %, −6.0 % and
 * −7.1 % of the target on three seeds, with every row's conditional entropy solved exactly.
 *
 * So before decoding, `rows` shadow continuations of the prompt (the kernel runs them, unseen by
 * the caller, on a stream of uniforms of their own) are decoded over the same positions with the
 * unscaled early solves, and the probe measures how far their k-row marginal lies above their
 * mean conditional entropy against the pooled k-row − 1-row gap, spread(t) − gap_k(t): the
 * divergence scale the `marginal` controller measures on its own batch (marginal.ts), averaged
 * over positions 1 to positions − 1. The request's rows then aim at target − s · offset(t) there,
 * and the factor fades back to 1 over the next PROBE_FADE positions, where a row's own feedback
 * has taken over.
 *
 * Measured with `npm run eval -- --targets 3.5 --full 10 --short 0 --tokens 50 --modes
 * schedule,proxy --seed S` for S = 7, 507, 1007 (10 held-out prompts × 3 seeds = 30 windows per
 * mode), the per-prompt [0,10) bias had an RMS of 3.5 % without the probe and 2.0 % with 8
 * shadow rows; the worst prompt's mean over the seeds went from −7.8 % to +3.0 %, and "Now these
 * are the generations of" read +0.1 % at seed 7 (−4.6 % with 4 shadow rows, whose 30 probes there
 * averaged s = 0.88 against 0.82 with 8). In [10,50), with the scale stopped at
 * position 10 the RMS went from 2.1 / 2.5 % (schedule / proxy) to 2.3 / 2.5 % and the worst
 * prompt's mean to −3.7 / −4.6 %: that prompt's rows, run warmer over the first ten positions,
 * met the pooled offset again at t = 10. Carrying s on to every position overshot instead (+4.9 %
 * on one seed). Fading it over 20 positions gave 1.7 / 1.9 %, over 40 1.9 / 1.7 %, the worst
 * prompt's mean +2.9 / −2.5 % at 20. The fade and the row count were chosen on these prompts; the
 * reports in docs/ measure them on prompts and targets they were not chosen on.
 *
 * Cost: one prefill and `positions` model steps of `rows` rows per request, whatever its n.
 */
import { marginalEntropy, meanConditionalEntropy } from "../sampling/marginal.js";
import type { Sampler } from "../sampling/sampler.js";
import type { Step } from "../sampling/step.js";
import { EARLY_SOLVE_POSITIONS } from "./controller.js";
import { divergenceScale } from "./marginal.js";

/**
 * Shadow rows a probe decodes. Eight measured one prompt's s to ±0.07–0.09 (standard deviation
 * over 30 probes), four to ±0.10–0.16, and four left that prompt's [0,10) at −4.6 % against +0.1 %
 * on the same seed; 8 is the largest n whose 30-row gap the calibration fits.
 */
export const PROBE_ROWS = 8;
/** Positions a probe decodes: those the per-row controllers solve exactly, where its scale applies in full. */
export const PROBE_POSITIONS = EARLY_SOLVE_POSITIONS;
/** Positions after the probed ones over which the scale fades back to 1 (see the header). */
export const PROBE_FADE = 20;

export interface PromptProbe {
  /** Shadow rows decoded together. */
  readonly rows: number;
  /** Positions decoded (at most; a request of fewer tokens probes fewer). */
  readonly positions: number;
  /** Sets the shadow rows' temperatures: the per-row early solves with the pooled offset. */
  readonly policy: Sampler;
  /** Read one step of the shadow rows, after the draw. */
  observe(step: Step): void;
  /**
   * This prompt's k-row divergence over the pooled one, in [0, SCALE_MAX] (marginal.ts); 1 until
   * a step past the prompt has been observed.
   */
  readonly scale: number;
  /** Positions 1 and later observed so far. */
  readonly observed: number;
}

export interface PromptProbeOptions {
  readonly policy: Sampler;
  /** The 30-row − 1-row gap expected at a position, nats (the per-row controllers' offset). */
  readonly spread: (position: number) => number;
  /** The 30-row − k-row gap expected at a position for k = `rows`, nats. */
  readonly gap: (position: number) => number;
  readonly rows?: number;
  readonly positions?: number;
}

export function createPromptProbe(options: PromptProbeOptions): PromptProbe {
  const { policy, spread, gap, rows = PROBE_ROWS, positions = PROBE_POSITIONS } = options;
  if (!Number.isInteger(rows) || rows < 2) throw new RangeError(`a probe needs at least 2 rows, got ${rows}`);
  if (!Number.isInteger(positions) || positions < 2) throw new RangeError(`a probe needs at least 2 positions, got ${positions}`);
  // Sums over the observed positions of the k-row marginal, the mean conditional and the two pooled gaps.
  let marginal = 0;
  let conditional = 0;
  let pooledSpread = 0;
  let pooledGap = 0;
  let observed = 0;
  let sums = new Float64Array(0);
  return {
    rows,
    positions,
    policy,
    get observed(): number {
      return observed;
    },
    get scale(): number {
      return observed === 0 ? 1 : divergenceScale(marginal / observed, conditional / observed, pooledSpread / observed, pooledGap / observed);
    },
    observe(step: Step): void {
      const t = step.position;
      // At t = 0 every row shares the prompt: no divergence to see.
      if (t === 0 || t >= positions) return;
      if (sums.length < step.vocab) sums = new Float64Array(step.vocab);
      marginal += marginalEntropy(step.probs, step.rows, step.vocab, step.active, sums);
      conditional += meanConditionalEntropy(step.probs, step.rows, step.vocab, step.active);
      pooledSpread += spread(t);
      pooledGap += gap(t);
      observed++;
    },
  };
}

/**
 * `offset` as a probed request's rows aim with it: scaled by the probe's divergence s at positions
 * 1 to positions − 1, then by a factor fading linearly from s back to 1 over the next PROBE_FADE
 * positions; unchanged at t = 0. The scale is read at each call, so a controller built before the
 * probe runs sees what it measured.
 */
export function probedOffset(offset: (position: number) => number, probe: PromptProbe): (position: number) => number {
  return (t) => {
    if (t <= 0) return offset(t);
    if (t < probe.positions) return probe.scale * offset(t);
    // Past the fade, every later token: the offset alone, without reading the scale.
    const fading = 1 - (t - probe.positions) / PROBE_FADE;
    return fading > 0 ? (1 + (probe.scale - 1) * fading) * offset(t) : offset(t);
  };
}
