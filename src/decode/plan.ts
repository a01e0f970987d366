/**
 * Plan — turn a request's entropy settings into the controller that runs it, and say which mode
 * actually runs and why.
 *
 * Degradation is explicit, never silent: `proxy` without a calibration for the loaded model runs
 * the fitted schedule for the target, and without schedules the `exact` reference (both need
 * nothing the model lacks); a proxy controller pinned at a clamp hands over to the schedule
 * mid-generation (a fallback controller, see control/fallback.ts). Every substitution is reported
 * back with its reason. The plan is everything a loop needs: whoever decodes with it (the API,
 * the evaluation, the benchmarks) runs the same policy.
 *
 * One meaning of `target` in every mode that takes one: the marginal entropy over B = 30
 * continuations of the request's prompt, what the schedules are fitted to hold. The per-row
 * controllers (proxy, exact, the prompt-aware schedule) aim each row's conditional entropy at
 * target − offset(t) and `marginal` at n = k aims its k-row marginal at target − s·gap_k(t), both
 * fitted per target beside the calibration (s: how much faster than the pooled prompts this
 * batch's rows diverge, measured against offset(t)); where the calibration lacks what a mode needs, the
 * notice says what the target means instead. `schedule_open` is the plain fitted T(t), the
 * reference the prompt-aware `schedule` corrects.
 *
 * The per-row modes' plan also carries a probe of the prompt (control/prompt-probe.ts): shadow
 * rows the kernel decodes first, whose divergence scales offset(t) over the early positions, as
 * `marginal`'s s does for its own batch. The request's `probe: false` leaves it out.
 */

import { offsetFromTable } from "../control/calibration.js";
import type { Catalog } from "../control/catalog.js";
import { type Controller, checkTarget } from "../control/controller.js";
import { createExactController } from "../control/exact.js";
import { createFallbackController } from "../control/fallback.js";
import { createFixedController } from "../control/fixed.js";
import { createMarginalController } from "../control/marginal.js";
import { createPromptProbe, PROBE_ROWS, type PromptProbe, probedOffset } from "../control/prompt-probe.js";
import { createPromptScheduleController } from "../control/prompt-schedule.js";
import { createProxyController } from "../control/proxy.js";
import { createScheduleController, OutOfRangeError, type ScheduleSet, targetRange } from "../control/schedule.js";
import type { CalibrationFile } from "../control/schedule-schema.js";
import { tableAtTarget } from "../control/target-table.js";
import { createGreedy } from "../sampling/greedy.js";
import { createMirostat } from "../sampling/mirostat.js";
import { OptionError } from "../sampling/option-error.js";
import type { Sampler } from "../sampling/sampler.js";

export type { Catalog };

export const MODES = ["fixed", "proxy", "schedule", "schedule_open", "marginal", "exact", "mirostat"] as const;
export type Mode = (typeof MODES)[number];

/** The request's `entropy` object (camelCase; the HTTP layer maps snake_case). */
export interface EntropyParams {
  readonly mode: Mode;
  /** Marginal-entropy target, nats. Required by every mode but fixed (mirostat may use tau). */
  readonly target?: number;
  readonly gain?: number;
  readonly tMin?: number;
  readonly tMax?: number;
  /** Mirostat target surprise, nats; defaults to `target`. */
  readonly tau?: number;
  /** Mirostat learning rate; default 0.1 (Basu et al. 2021). */
  readonly eta?: number;
  /**
   * Whether the per-row modes (schedule, proxy, exact) probe the prompt on shadow rows before
   * decoding (prompt-probe.ts); default true. Off saves one prefill and ten steps of 8 rows.
   */
  readonly probe?: boolean;
}

export interface ControlContext {
  /** OpenAI `temperature`, used by `fixed`; 0 means greedy. */
  readonly temperature: number;
  /** Rows decoded together (the request's n). */
  readonly rows: number;
  readonly vocabSize: number;
  readonly catalog: Catalog;
}

export interface ControlPlan {
  /** The whole entropy policy, including any handover to a fallback (`controller.handover`). */
  readonly controller: Controller;
  /** Samplers the mode itself needs after the controller (temperature 0's greedy). */
  readonly samplers: readonly Sampler[];
  readonly requestedMode: Mode;
  /** The mode that runs from the first token. */
  readonly mode: Mode;
  /** Why `mode` differs from `requestedMode`. */
  readonly notice?: { readonly reason: string };
  /**
   * Shadow rows the kernel decodes before the request's own, whose divergence the controller's
   * early positions aim with (prompt-probe.ts); absent where the calibration lacks what it needs.
   */
  readonly probe?: PromptProbe;
}

/** Why `exact` reports a conditional target: without a calibration there is no offset to aim with. */
const CONDITIONAL = "no calibration for this model: each row's conditional entropy is held at the target, not the marginal over 30 continuations";

/** Consecutive clamped tokens after which a proxy generation switches to its schedule. */
export const SATURATION_FALLBACK_STEPS = 16;

/** The target a mode needs: present, and in [0, ln V] (checkTarget, the one range check). */
function requireTarget(p: EntropyParams, vocabSize: number): number {
  if (p.target === undefined) throw new OptionError("target", `entropy.target (nats) is required for mode ${p.mode}`);
  return checkTarget(p.target, vocabSize);
}

/** A fitted-schedule controller, or undefined when the schedules do not cover its target. */
function scheduleFor(schedules: ScheduleSet | undefined, create: (set: ScheduleSet) => Controller): Controller | undefined {
  if (!schedules) return undefined;
  try {
    return create(schedules);
  } catch (e) {
    if (e instanceof OutOfRangeError) return undefined;
    throw e;
  }
}

/**
 * What the per-row controllers add to each row's conditional entropy to read the 30-row
 * marginal at `target`: the per-target table where the calibration has one, else its pooled
 * curve; undefined without a calibration (the target is then conditional).
 */
function offsetFor(calibration: CalibrationFile | undefined, target: number): ((position: number) => number) | undefined {
  if (!calibration) return undefined;
  return calibration.offsets ? tableAtTarget(calibration.offsets, target) : offsetFromTable(calibration.offset);
}

/** The 30-row − n-row marginal gap at `target` for a batch of `rows`, if fitted. */
function marginalGapFor(calibration: CalibrationFile | undefined, rows: number, target: number): ((position: number) => number) | undefined {
  const gap = calibration?.marginalGaps?.find((g) => g.rows === rows);
  return gap ? tableAtTarget(gap.table, target) : undefined;
}

/** How a per-row request's rows aim: the offset, scaled over the early positions by a probe of the prompt where the calibration has the k-row gap to read one. */
interface RowAim {
  readonly offset?: (position: number) => number;
  readonly probe?: PromptProbe;
}

/**
 * The per-row controllers' aim at `target`. The probe's shadow rows run the early solves with the
 * pooled offset (exact control, the same solves every per-row mode makes there) and the
 * request's bounds.
 */
function rowAimFor(calibration: CalibrationFile | undefined, target: number, bounds: { tMin?: number; tMax?: number; vocabSize: number }, probing: boolean): RowAim {
  const spread = offsetFor(calibration, target);
  if (!spread) return {};
  if (!probing) return { offset: spread };
  const gap = marginalGapFor(calibration, PROBE_ROWS, target);
  if (!gap) return { offset: spread };
  const probe = createPromptProbe({ policy: createExactController({ target, ...bounds, offset: spread }), spread, gap });
  return { offset: probedOffset(spread, probe), probe };
}

/** A controller wrapper for samplers that have no clamp (Mirostat). */
function neverSaturates(name: string, sampler: Sampler): Controller {
  return { ...sampler, name, saturation: 0, apply: (s) => sampler.apply(s) };
}

/** The modes whose rows aim with an offset a probe can scale. */
const PROBING_MODES: readonly Mode[] = ["schedule", "proxy", "exact"];

/** Build the plan; throws an OptionError naming the option when the request cannot run. */
export function planControl(p: EntropyParams, ctx: ControlContext): ControlPlan {
  if (p.probe !== undefined && !PROBING_MODES.includes(p.mode)) {
    throw new OptionError("probe", `entropy.probe applies to modes ${PROBING_MODES.join(", ")}, not ${p.mode}`);
  }
  const base = { requestedMode: p.mode, samplers: [] as Sampler[] };
  const defined = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
  const bounds = defined({ gain: p.gain, tMin: p.tMin, tMax: p.tMax, vocabSize: ctx.vocabSize });
  const probing = p.probe !== false;
  switch (p.mode) {
    case "fixed":
      if (ctx.temperature === 0) return { ...base, mode: "fixed", controller: createFixedController(1), samplers: [createGreedy()] };
      return { ...base, mode: "fixed", controller: createFixedController(ctx.temperature) };
    case "exact": {
      const target = requireTarget(p, ctx.vocabSize);
      const { offset, probe } = rowAimFor(ctx.catalog.calibration, target, bounds, probing);
      return {
        ...base,
        mode: "exact",
        controller: createExactController({ target, ...bounds, ...(offset ? { offset } : {}) }),
        ...(probe ? { probe } : {}),
        ...(offset ? {} : { notice: { reason: CONDITIONAL } }),
      };
    }
    case "marginal": {
      if (ctx.rows < 2) throw new OptionError("rows", "mode marginal estimates entropy across the batch: n must be at least 2");
      const target = requireTarget(p, ctx.vocabSize);
      const offset = marginalGapFor(ctx.catalog.calibration, ctx.rows, target);
      // The 30-row − 1-row gap scales the fitted one by this batch's own divergence.
      const spread = offsetFor(ctx.catalog.calibration, target);
      return {
        ...base,
        mode: "marginal",
        controller: createMarginalController({ target, ...bounds, ...(offset ? { offset } : {}), ...(spread ? { spread } : {}) }),
        ...(offset ? {} : { notice: { reason: `no 30-row gap fitted for n = ${ctx.rows}: the target is the marginal over this request's ${ctx.rows} rows` } }),
      };
    }
    case "mirostat": {
      const tau = p.tau ?? p.target;
      if (tau === undefined) throw new OptionError("tau", "mode mirostat needs entropy.tau (or entropy.target), nats");
      const mirostat = createMirostat(defined({ tau, eta: p.eta, vocabSize: ctx.vocabSize }));
      return { ...base, mode: "mirostat", controller: neverSaturates("mirostat", mirostat) };
    }
    case "schedule":
    case "schedule_open": {
      const target = requireTarget(p, ctx.vocabSize);
      const schedules = ctx.catalog.schedules;
      if (!schedules) throw new OptionError("mode", `mode ${p.mode}: no fitted schedules exist for this model`);
      try {
        if (p.mode === "schedule_open") return { ...base, mode: p.mode, controller: createScheduleController(schedules, target) };
        const aim = rowAimFor(ctx.catalog.calibration, target, bounds, probing);
        return { ...base, mode: p.mode, controller: promptSchedule(schedules, target, aim.offset), ...(aim.probe ? { probe: aim.probe } : {}) };
      } catch (e) {
        if (e instanceof OutOfRangeError) {
          throw new OptionError("target", `entropy.target ${target} is outside the fitted schedule range [${e.range[0]}, ${e.range[1]}] nats`);
        }
        throw e;
      }
    }
    case "proxy": {
      const target = requireTarget(p, ctx.vocabSize);
      const { calibration, schedules } = ctx.catalog;
      const { offset, probe } = rowAimFor(calibration, target, bounds, probing);
      const probed = probe ? { probe } : {};
      const schedule = () => scheduleFor(schedules, (set) => promptSchedule(set, target, offset));
      const fallback = schedule();
      if (!calibration) {
        if (fallback) return { ...base, mode: "schedule", controller: fallback, notice: { reason: "no proxy calibration for this model; running its fitted schedule" } };
        const range = schedules ? ` (fitted schedules cover [${targetRange(schedules).join(", ")}] nats)` : "";
        return {
          ...base,
          mode: "exact",
          controller: createExactController({ target, ...bounds }),
          notice: { reason: `no proxy calibration and no fitted schedule for this target${range}; running exact entropy control; ${CONDITIONAL}` },
        };
      }
      const proxy = createProxyController({ target, calibration, offset: offset!, ...bounds, gain: p.gain ?? calibration.gain });
      const controller = fallback ? createFallbackController(proxy, { afterSaturatedSteps: SATURATION_FALLBACK_STEPS, mode: "schedule", create: () => schedule()! }) : proxy;
      return { ...base, mode: "proxy", controller, ...probed };
    }
  }

  /** The prompt-aware schedule, its feedback aimed with `offset` (the calibration's, probed) when there is one. */
  function promptSchedule(schedules: ScheduleSet, target: number, offset: ((position: number) => number) | undefined): Controller {
    const gain = p.gain ?? ctx.catalog.calibration?.gain;
    return createPromptScheduleController({ schedules, target, ...bounds, ...(offset ? { offset } : {}), ...(gain !== undefined ? { gain } : {}) });
  }
}
