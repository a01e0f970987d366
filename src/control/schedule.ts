/**
 * Schedule — open-loop temperature as a function of position, fitted offline per target.
 *
 * A fitted schedule gives T at knots in position; between knots T is geometric (linear in log T,
 * the scale on which entropy is roughly linear), and beyond the first and last knot the end
 * value is held. A ScheduleSet holds schedules for several targets of one model; a target
 * between two of them interpolates in log T between their temperatures at the same position.
 * Costs nothing per step beyond scaling the logits; no feedback, so it never saturates.
 */
import type { Step } from "../sampling/step.js";
import { scaleRowInto } from "../sampling/temperature.js";
import type { Controller } from "./controller.js";
import { interpolateLog, isStrictlyIncreasing } from "./piecewise.js";

export interface FittedSchedule {
  /** Marginal entropy the schedule was fitted to hold, nats. */
  target: number;
  /** Knot positions (token index t), strictly increasing. */
  positions: readonly number[];
  /** Temperature at each knot, > 0. */
  temperatures: readonly number[];
}

/** Fitted schedules of one model, sorted by target, targets distinct. */
export interface ScheduleSet {
  readonly schedules: readonly FittedSchedule[];
}

/** A target outside the fitted range; `range` is [lowest, highest] fitted target, nats. */
export class OutOfRangeError extends RangeError {
  override readonly name = "OutOfRangeError";
  constructor(
    readonly target: number,
    readonly range: readonly [number, number],
  ) {
    super(`target ${target} nats is outside the fitted range [${range[0]}, ${range[1]}]`);
  }
}

/** A validated set (RangeError naming the bad field and schedule), sorted by target. */
export function createScheduleSet(schedules: readonly FittedSchedule[]): ScheduleSet {
  if (schedules.length === 0) throw new RangeError("schedules must not be empty");
  schedules.forEach((s, k) => {
    if (!Number.isFinite(s.target)) throw new RangeError(`schedules[${k}].target must be finite`);
    if (s.positions.length === 0) throw new RangeError(`schedules[${k}].positions must not be empty`);
    if (!isStrictlyIncreasing(s.positions)) throw new RangeError(`schedules[${k}].positions must be finite and strictly increasing`);
    if (s.temperatures.length !== s.positions.length) throw new RangeError(`schedules[${k}].temperatures must have as many values as positions`);
    if (!s.temperatures.every((t) => t > 0 && Number.isFinite(t))) throw new RangeError(`schedules[${k}].temperatures must be finite and > 0`);
  });
  const sorted = [...schedules].sort((a, b) => a.target - b.target);
  for (let k = 1; k < sorted.length; k++) {
    if (sorted[k]!.target === sorted[k - 1]!.target) throw new RangeError(`schedules have duplicate target ${sorted[k]!.target}`);
  }
  return { schedules: sorted };
}

/** The fitted targets' range [lowest, highest], nats. */
export function targetRange(set: ScheduleSet): [number, number] {
  return [set.schedules[0]!.target, set.schedules[set.schedules.length - 1]!.target];
}

/** One schedule's temperature at position t. */
function scheduleAt(schedule: FittedSchedule, t: number): number {
  return interpolateLog(schedule.positions, schedule.temperatures, t);
}

/** Temperature at position `t` for `target` (nats); OutOfRangeError outside the fitted targets. */
export function temperatureAt(set: ScheduleSet, target: number, t: number): number {
  const range = targetRange(set);
  if (!(target >= range[0] && target <= range[1])) throw new OutOfRangeError(target, range);
  const { schedules } = set;
  let k = 0;
  while (k + 1 < schedules.length && schedules[k + 1]!.target <= target) k++;
  const lo = schedules[k]!;
  const hi = schedules[k + 1];
  if (hi === undefined || lo.target === target) return scheduleAt(lo, t);
  const w = (target - lo.target) / (hi.target - lo.target);
  return Math.exp((1 - w) * Math.log(scheduleAt(lo, t)) + w * Math.log(scheduleAt(hi, t)));
}

/**
 * Open-loop controller for `target`; checks the range when built. `estimate[b]` is the target:
 * the schedule was fitted so that the marginal entropy tracks it.
 */
export function createScheduleController(set: ScheduleSet, target: number): Controller {
  temperatureAt(set, target, 0);
  return {
    name: "schedule",
    saturation: 0,
    apply(step: Step): void {
      const temperature = temperatureAt(set, target, step.position);
      for (let b = 0; b < step.rows; b++) {
        if (step.active[b] === 0) continue;
        scaleRowInto(step, b, temperature);
        step.estimate[b] = target;
      }
    },
  };
}
