import { describe, expect, it } from "vitest";
import { createScheduleController, createScheduleSet, OutOfRangeError, targetRange, temperatureAt } from "../src/control/schedule.js";
import { createStep } from "../src/sampling/step.js";

const low = { target: 2, positions: [10, 110], temperatures: [0.5, 2] };
const high = { target: 4, positions: [0, 50, 200], temperatures: [1, 2, 2] };
const set = createScheduleSet([high, low]);

describe("temperatureAt", () => {
  it("is geometric between knots and holds beyond the first and last", () => {
    expect(temperatureAt(set, 2, 10)).toBeCloseTo(0.5, 12);
    expect(temperatureAt(set, 2, 60)).toBeCloseTo(1, 12);
    expect(temperatureAt(set, 2, 0)).toBeCloseTo(0.5, 12);
    expect(temperatureAt(set, 2, 5000)).toBeCloseTo(2, 12);
    expect(temperatureAt(set, 4, 25)).toBeCloseTo(Math.SQRT2, 12);
    expect(temperatureAt(set, 4, 1000)).toBeCloseTo(2, 12);
  });

  it("interpolates in log T between the two nearest fitted targets", () => {
    // t = 60: T = 1 for target 2, 2 for target 4; halfway in target is the geometric mean.
    expect(temperatureAt(set, 3, 60)).toBeCloseTo(Math.SQRT2, 12);
    expect(temperatureAt(set, 2.5, 60)).toBeCloseTo(2 ** 0.25, 12);
  });

  it("throws OutOfRangeError carrying the fitted range outside it", () => {
    expect(targetRange(set)).toEqual([2, 4]);
    for (const target of [1.99, 4.01, Number.NaN]) {
      let error: unknown;
      try {
        temperatureAt(set, target, 0);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(OutOfRangeError);
      expect(error).toBeInstanceOf(RangeError);
      expect((error as OutOfRangeError).range).toEqual([2, 4]);
      expect((error as OutOfRangeError).name).toBe("OutOfRangeError");
    }
  });

  it("serves the one fitted target of a single-schedule set", () => {
    const one = createScheduleSet([low]);
    expect(temperatureAt(one, 2, 60)).toBeCloseTo(1, 12);
    expect(() => temperatureAt(one, 2.1, 60)).toThrow(OutOfRangeError);
  });
});

describe("createScheduleSet", () => {
  it.each([
    [[], /^schedules must not be empty/],
    [[{ ...low, target: Number.NaN }], /^schedules\[0\]\.target/],
    [[{ ...low, positions: [], temperatures: [] }], /^schedules\[0\]\.positions must not be empty/],
    [[high, { ...low, positions: [10, 10] }], /^schedules\[1\]\.positions must be .*strictly increasing/],
    [[{ ...low, temperatures: [1] }], /^schedules\[0\]\.temperatures must have as many/],
    [[{ ...low, temperatures: [1, 0] }], /^schedules\[0\]\.temperatures must be finite and > 0/],
    [[low, { ...high, target: 2 }], /duplicate target 2/],
  ])("rejects %o", (schedules, message) => {
    expect(() => createScheduleSet(schedules)).toThrow(message);
  });
});

describe("schedule controller", () => {
  it("applies T(target, position) to active rows with the target as estimate, never saturating", () => {
    const c = createScheduleController(set, 3);
    const step = createStep(Float32Array.from([2, 4, 2, 4]), 2, 2, 60, Uint8Array.from([1, 0]));
    c.apply(step);
    expect(step.temperature[0]).toBeCloseTo(Math.SQRT2, 6);
    expect(step.scores[1]).toBeCloseTo(4 / Math.SQRT2, 5);
    expect(step.temperature[1]).toBe(1);
    expect(step.estimate[0]).toBe(3);
    expect(step.estimate[1]).toBeNaN();
    expect(c.saturation).toBe(0);
  });

  it("checks the target when built", () => {
    expect(() => createScheduleController(set, 5)).toThrow(OutOfRangeError);
  });
});
