/**
 * Plan — turn a request's entropy settings into the controller that runs it, and say which mode
 * actually runs and why.
 *
 * Degradation is explicit, never silent: `proxy` without a calibration for the loaded model runs
 * the fitted schedule for the target, and without schedules the `exact` reference (both need
 * nothing the model lacks); a proxy controller pinned at a clamp hands over to the schedule
 * mid-generation (see generate.ts). Every substitution is reported back with its reason.
 */
import type { Catalog } from "../control/catalog.js";
import type { Controller } from "../control/controller.js";
import { createExactController } from "../control/exact.js";
import { createFixedController } from "../control/fixed.js";
import { createMarginalController } from "../control/marginal.js";
import { createProxyController } from "../control/proxy.js";
import { offsetFromTable } from "../control/calibration.js";
import { OutOfRangeError, createScheduleController, targetRange, type ScheduleSet } from "../control/schedule.js";
import { createMirostat } from "../sampling/mirostat.js";
import type { Sampler } from "../sampling/sampler.js";
import { createTopK } from "../sampling/top-k.js";
import type { Fallback } from "./generate.js";

export type { Catalog };

export const MODES = ["fixed", "proxy", "schedule", "marginal", "exact", "mirostat"] as const;
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
  readonly controller: Controller;
  /** Samplers the mode itself needs after the controller (greedy's top-1, mirostat's truncation). */
  readonly samplers: readonly Sampler[];
  readonly fallback?: Fallback;
  readonly requestedMode: Mode;
  /** The mode that runs from the first token. */
  readonly mode: Mode;
  /** Why `mode` differs from `requestedMode`. */
  readonly notice?: { readonly reason: string };
}

/** A request whose entropy settings cannot run; `param` names the field (OpenAI error shape). */
export class PlanError extends Error {
  override readonly name = "PlanError";
  readonly status = 400;
  constructor(
    readonly param: string,
    message: string,
  ) {
    super(message);
  }
}

/** Consecutive clamped tokens after which a proxy generation switches to its schedule. */
export const SATURATION_FALLBACK_STEPS = 16;

function requireTarget(p: EntropyParams, vocabSize: number): number {
  if (p.target === undefined) throw new PlanError("entropy.target", `entropy.target (nats) is required for mode ${p.mode}`);
  const max = Math.log(vocabSize);
  if (!(p.target >= 0 && p.target <= max)) {
    throw new PlanError("entropy.target", `entropy.target must be in [0, ln V = ${max.toFixed(3)}] nats, got ${p.target}`);
  }
  return p.target;
}

function scheduleFor(schedules: ScheduleSet | undefined, target: number): Controller | undefined {
  if (!schedules) return undefined;
  try {
    return createScheduleController(schedules, target);
  } catch (e) {
    if (e instanceof OutOfRangeError) return undefined;
    throw e;
  }
}

/** A controller wrapper for samplers that have no clamp (Mirostat). */
function neverSaturates(name: string, sampler: Sampler): Controller {
  return { ...sampler, name, saturation: 0, apply: (s) => sampler.apply(s) };
}

/** Build the plan; throws PlanError naming the field when the request cannot run. */
export function planControl(p: EntropyParams, ctx: ControlContext): ControlPlan {
  const base = { requestedMode: p.mode, samplers: [] as Sampler[] };
  const bounds = { gain: p.gain, tMin: p.tMin, tMax: p.tMax };
  const defined = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
  try {
    switch (p.mode) {
      case "fixed":
        if (ctx.temperature === 0) return { ...base, mode: "fixed", controller: createFixedController(1), samplers: [createTopK(1)] };
        return { ...base, mode: "fixed", controller: createFixedController(ctx.temperature) };
      case "exact":
        return { ...base, mode: "exact", controller: createExactController({ target: requireTarget(p, ctx.vocabSize), ...defined(bounds) }) };
      case "marginal":
        if (ctx.rows < 2) throw new PlanError("n", "mode marginal estimates entropy across the batch: n must be at least 2");
        return { ...base, mode: "marginal", controller: createMarginalController({ target: requireTarget(p, ctx.vocabSize), ...defined(bounds) }) };
      case "mirostat": {
        const tau = p.tau ?? p.target;
        if (tau === undefined) throw new PlanError("entropy.tau", "mode mirostat needs entropy.tau (or entropy.target), nats");
        const mirostat = createMirostat(defined({ tau, eta: p.eta }));
        return { ...base, mode: "mirostat", controller: neverSaturates("mirostat", mirostat) };
      }
      case "schedule": {
        const target = requireTarget(p, ctx.vocabSize);
        const schedules = ctx.catalog.schedules;
        if (!schedules) throw new PlanError("entropy.mode", "mode schedule: no fitted schedules exist for this model");
        try {
          return { ...base, mode: "schedule", controller: createScheduleController(schedules, target) };
        } catch (e) {
          if (e instanceof OutOfRangeError) {
            throw new PlanError("entropy.target", `entropy.target ${target} is outside the fitted schedule range [${e.range[0]}, ${e.range[1]}] nats`);
          }
          throw e;
        }
      }
      case "proxy": {
        const target = requireTarget(p, ctx.vocabSize);
        const { calibration, schedules } = ctx.catalog;
        const schedule = scheduleFor(schedules, target);
        if (!calibration) {
          if (schedule) return { ...base, mode: "schedule", controller: schedule, notice: { reason: "no proxy calibration for this model; running its fitted schedule" } };
          const range = schedules ? ` (fitted schedules cover [${targetRange(schedules).join(", ")}] nats)` : "";
          return {
            ...base,
            mode: "exact",
            controller: createExactController({ target, ...defined(bounds) }),
            notice: { reason: `no proxy calibration and no fitted schedule for this target${range}; running exact entropy control` },
          };
        }
        const controller = createProxyController({
          target,
          calibration,
          offset: offsetFromTable(calibration.offset),
          ...defined({ ...bounds, gain: p.gain ?? calibration.gain }),
        });
        const fallback: Fallback | undefined = schedule
          ? { afterSaturatedSteps: SATURATION_FALLBACK_STEPS, mode: "schedule", create: () => createScheduleController(schedules!, target) }
          : undefined;
        return { ...base, mode: "proxy", controller, ...(fallback ? { fallback } : {}) };
      }
    }
  } catch (e) {
    // Controllers validate their own options and throw RangeErrors naming the option.
    if (e instanceof RangeError && !(e instanceof OutOfRangeError)) {
      const m = /^(\w+) must/.exec(e.message);
      throw new PlanError(m ? `entropy.${m[1]}` : "entropy", e.message);
    }
    throw e;
  }
}
