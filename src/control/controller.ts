/**
 * Controller — the contract of an entropy controller and the options every one of them shares.
 *
 * A controller is a Sampler placed first in the chain: `apply` writes each active row's
 * temperature, estimate and scores (via `scaleRowInto`); `accept` reads what the draw measured
 * and moves per-row state. Control acts on log T: entropy rises monotonically with T and roughly
 * linearly in log T, so an error in nats maps to a multiplicative step in T.
 */
import { maxEntropy } from "../sampling/entropy.js";
import { checkFiniteIn, OptionError } from "../sampling/option-error.js";
import type { Sampler } from "../sampling/sampler.js";
import { temperatureForEntropy } from "../sampling/solve-temperature.js";
import type { Step } from "../sampling/step.js";

/** A controller's switch to another mid-generation (see fallback.ts), as the response reports it. */
export interface Handover {
  /** Position of the last token the first controller chose. */
  readonly index: number;
  readonly from: string;
  readonly to: string;
  readonly reason: string;
}

export interface Controller extends Sampler {
  /**
   * Consecutive accepted steps in which some active row's applied temperature sat at t_min or
   * t_max; 0 after any step with every row inside. A long run means the target is out of reach.
   */
  readonly saturation: number;
  /** Set once this controller has handed the rows over to another one; never for most. */
  readonly handover?: Handover;
}

/** Options shared by the feedback controllers. */
export interface ControllerOptions {
  /** Entropy target, nats (≥ 0; at most log V is reachable). */
  target: number;
  /** The model's vocabulary size; when given, `target` must be at most ln V. */
  vocabSize?: number;
  /**
   * Change of log T per nat of entropy error per accepted step; default 0.1. The loop gain is
   * gain · dH/dlog T, which is 1–3 nats on typical LM distributions, so 0.1 settles in about
   * 5–10 tokens, stays far from the instability at 2, and averages out per-token noise.
   * Measured on the default model (8 rows x 200 tokens, targets 3 and 5 nats, one seed): the
   * RMSE of the controlled signal over tokens [10, 200) is flat for gains 0.03–0.1 (exact
   * 0.92–1.23, marginal 0.34–0.47 nats), worse at 0.3 (exact 1.61–1.67, marginal 0.38–0.70)
   * and diverging at 1 (exact 2.9–4.0, marginal 1.1–3.2); 0.1 settles the first ten tokens
   * fastest among the stable gains. Per-token exact entropy stays noisy at any gain: feedback acts
   * on the next token, and the model's entropy varies far more from one token to the next.
   */
  gain?: number;
  /** Lowest temperature; default 0.05, below which sampling is greedy in effect. */
  tMin?: number;
  /** Highest temperature; default 4, above which an LM's distribution is near uniform. */
  tMax?: number;
  /** Accepted steps during which feedback state is frozen and the controller only observes; default 0. */
  warmup?: number;
}

/** Options of controllers that hold a temperature as state (exact, marginal). */
export interface FeedbackControllerOptions extends ControllerOptions {
  /** Temperature before any feedback; default 1 (the model's own distribution) clamped into range. */
  tInit?: number;
}

/** The temperature range a controller may use. */
export interface TemperatureRange {
  tMin: number;
  tMax: number;
}

export type ResolvedControllerOptions = Required<Omit<ControllerOptions, "vocabSize">>;

export const DEFAULT_GAIN = 0.1;
export const DEFAULT_T_MIN = 0.05;
export const DEFAULT_T_MAX = 4;
/**
 * Bounds on what a request may set. Below 0.001 sampling is greedy in effect and above 100 an
 * LM's distribution is uniform in effect (and z / T stays well inside float32). A gain of 1
 * already diverges on the default model (see `gain`), so 2 bounds experiments, not use.
 */
export const TEMPERATURE_BOUNDS = [0.001, 100] as const;
export const MAX_GAIN = 2;
/** Entropy target in [0, ln V] nats: the one check every mode's target goes through. */
export function checkTarget(target: number, vocabSize?: number): number {
  const max = maxEntropy(vocabSize);
  if (!(Number.isFinite(target) && target >= 0 && target <= max)) {
    throw new OptionError("target", `target must be in [0, ${vocabSize === undefined ? "" : "ln V = "}${max.toFixed(3)}] nats, got ${target}`);
  }
  return target;
}

/** Options with defaults filled in; an OptionError names the first option out of its domain. */
export function resolveControllerOptions(options: ControllerOptions): ResolvedControllerOptions {
  const { target, vocabSize, gain = DEFAULT_GAIN, tMin = DEFAULT_T_MIN, tMax = DEFAULT_T_MAX, warmup = 0 } = options;
  checkTarget(target, vocabSize);
  checkFiniteIn("gain", "gain", gain, 0, MAX_GAIN);
  const [lo, hi] = TEMPERATURE_BOUNDS;
  checkFiniteIn("tMin", "t_min", tMin, lo, hi);
  if (!(Number.isFinite(tMax) && tMax >= tMin && tMax <= hi)) throw new OptionError("tMax", `t_max must be finite and in [t_min, ${hi}] = [${tMin}, ${hi}], got ${tMax}`);
  if (!Number.isInteger(warmup) || warmup < 0) throw new OptionError("warmup", `warmup must be a non-negative integer, got ${warmup}`);
  return { target, gain, tMin, tMax, warmup };
}

/** The initial temperature: `tInit` if given (must lie in the range), else 1 clamped into it. */
export function resolveInitialTemperature(tInit: number | undefined, range: TemperatureRange): number {
  if (tInit === undefined) return clampTemperature(1, range);
  if (!(tInit >= range.tMin && tInit <= range.tMax)) {
    throw new OptionError("tInit", `t_init must be in [t_min, t_max] = [${range.tMin}, ${range.tMax}], got ${tInit}`);
  }
  return tInit;
}

/** `temperature` limited to [tMin, tMax] (NaN stays NaN). */
export function clampTemperature(temperature: number, { tMin, tMax }: TemperatureRange): number {
  return Math.min(tMax, Math.max(tMin, temperature));
}

/**
 * Whether `temperature` (as stored in a Step, float32) sits at either end of the range. The
 * bounds are rounded to float32 too, so a clamped value compares equal to its bound.
 */
function isAtClamp(temperature: number, { tMin, tMax }: TemperatureRange): boolean {
  return temperature <= Math.fround(tMin) || temperature >= Math.fround(tMax);
}

/** Whether any active row of `step` was sampled at a clamped temperature. */
export function anyRowAtClamp(step: Step, range: TemperatureRange): boolean {
  for (let b = 0; b < step.rows; b++) {
    if (step.active[b] !== 0 && isAtClamp(step.temperature[b]!, range)) return true;
  }
  return false;
}

/** What every feedback controller counts per accepted step: clamped steps in a row, and the warmup. */
export interface FeedbackCounter {
  /** Consecutive accepted steps with some active row at a clamp (the Controller's `saturation`). */
  readonly saturation: number;
  /** Count an accepted step; false while it is still within the warmup (feedback frozen). */
  count(step: Step): boolean;
  reset(): void;
}

export function createFeedbackCounter(o: ResolvedControllerOptions): FeedbackCounter {
  let accepted = 0;
  let saturation = 0;
  return {
    get saturation(): number {
      return saturation;
    },
    count(step: Step): boolean {
      saturation = anyRowAtClamp(step, o) ? saturation + 1 : 0;
      return accepted++ >= o.warmup;
    },
    reset(): void {
      accepted = 0;
      saturation = 0;
    },
  };
}

/**
 * Feedback on per-row log-T corrections: each active row's correction moves by gain · (aim − H_b),
 * with H_b the exact entropy the draw computed, except while its temperature sits at the clamp
 * the error pushes toward (conditional integration, so a correction cannot wind up beyond what
 * the clamp allows). Mutates `correction` (absent entries count as 0).
 */
export function integrateCorrectionsInPlace(correction: number[], step: Step, aim: number, gain: number, range: TemperatureRange): void {
  for (let b = 0; b < step.rows; b++) {
    const h = step.entropy[b]!;
    if (step.active[b] === 0 || Number.isNaN(h)) continue;
    const error = aim - h;
    const applied = step.temperature[b]!;
    const pinned = (error > 0 && applied >= Math.fround(range.tMax)) || (error < 0 && applied <= Math.fround(range.tMin));
    if (!pinned) correction[b] = (correction[b] ?? 0) + gain * error;
  }
}

/**
 * Positions at whose start a per-row controller solves each row's temperature exactly for what
 * its conditional entropy should read there (target − offset(t)), instead of feedback's gradual
 * steps: the offset rises fastest over the first tokens, as the rows leave the shared prompt, and
 * a gain-0.1 correction lags it (measured: +11 to +15 % in [0,10) at target 3.5, every prompt).
 * A warm-started Newton solve is a few passes over the logits per row, for these positions only.
 */
export const EARLY_SOLVE_POSITIONS = 10;

/**
 * The miss (nats) below which a warm early solve (positions 1 to EARLY_SOLVE_POSITIONS − 1, started
 * from the row's last temperature) takes its last step unevaluated. Those positions aim at
 * target − offset(t), itself an estimate good to tenths of a nat per prompt, so solving them to
 * 1e-5 buys nothing; measured on the default model's first ten positions (600 rows, targets 3.5 /
 * 5 / 6.5): 2.44 / 2.32 / 2.14 passes per solve → 2.22 / 2.10 / 1.98, worst error 1.4e-3 nats
 * (99th percentile 9e-5). The first position, where the marginal is this row's entropy and the
 * target holds exactly, keeps the solver's full precision.
 */
export const EARLY_SOLVE_WITHIN = 0.1;

/**
 * A row's temperature for conditional entropy `aim`, as the per-row controllers solve it over the
 * early positions: cold (no `last`, a row's first position) to the solver's full precision, warm
 * from the row's last temperature to EARLY_SOLVE_WITHIN.
 */
export function solveRowTemperature(z: Float32Array, aim: number, tMin: number, tMax: number, last?: number): number {
  return temperatureForEntropy(z, aim, tMin, tMax, last, earlySolveWithin(last));
}

/** The tolerance of an early solve started at `last`: full precision cold (undefined), EARLY_SOLVE_WITHIN warm. */
export function earlySolveWithin(last: number | undefined): number | undefined {
  return last === undefined ? undefined : EARLY_SOLVE_WITHIN;
}
