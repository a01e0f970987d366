/**
 * Fallback — a controller that runs a primary one and hands every row over to a second one
 * when the primary has sat at a temperature clamp for too long (its target is out of reach).
 *
 * The switch is policy, so it lives in the policy object, not in the decode loop: like any
 * sampler it changes state only in `accept` (llama.cpp's apply-proposes, accept-commits), so
 * the step after the one that tipped it over is the first the second controller shapes. The
 * switch is exposed as `handover` for the response's `fallback` field.
 */
import type { Step } from "../sampling/step.js";
import type { Controller, Handover } from "./controller.js";

export interface FallbackOptions {
  /** Switch after this many consecutive saturated steps (≥ 1). */
  readonly afterSaturatedSteps: number;
  /** Mode name reported to the caller, e.g. "schedule". */
  readonly mode: string;
  /** Builds the controller that takes over (fresh state). */
  create(): Controller;
}

/** `primary` until it saturates for `afterSaturatedSteps` accepted steps, then `create()`'s controller. */
export function createFallbackController(primary: Controller, options: FallbackOptions): Controller {
  const { afterSaturatedSteps, mode } = options;
  if (!Number.isInteger(afterSaturatedSteps) || afterSaturatedSteps < 1) {
    throw new RangeError(`afterSaturatedSteps must be an integer >= 1, got ${afterSaturatedSteps}`);
  }
  let current = primary;
  let handover: Handover | undefined;
  return {
    get name(): string {
      return current.name;
    },
    get saturation(): number {
      return current.saturation;
    },
    get handover(): Handover | undefined {
      return handover;
    },
    apply(step: Step): void {
      current.apply(step);
    },
    accept(tokens: Int32Array, step: Step): void {
      current.accept?.(tokens, step);
      if (handover === undefined && current.saturation >= afterSaturatedSteps) {
        handover = {
          index: step.position,
          from: primary.name,
          to: mode,
          reason: `${primary.name} controller saturated at a temperature clamp for ${afterSaturatedSteps} tokens`,
        };
        current = options.create();
      }
    },
    reset(): void {
      primary.reset?.();
      current = primary;
      handover = undefined;
    },
  };
}
