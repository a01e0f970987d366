import { describe, expect, it } from "vitest";
import {
  anyRowAtClamp,
  checkTarget,
  clampTemperature,
  DEFAULT_GAIN,
  DEFAULT_T_MAX,
  DEFAULT_T_MIN,
  MAX_GAIN,
  resolveControllerOptions,
  resolveInitialTemperature,
  TEMPERATURE_BOUNDS,
} from "../src/control/controller.js";
import { createExactController } from "../src/control/exact.js";
import { createFixedController } from "../src/control/fixed.js";
import { createMarginalController } from "../src/control/marginal.js";
import { OptionError } from "../src/sampling/option-error.js";
import { createStep } from "../src/sampling/step.js";

describe("controller options", () => {
  it("fill documented defaults", () => {
    expect(resolveControllerOptions({ target: 3 })).toEqual({ target: 3, gain: DEFAULT_GAIN, tMin: DEFAULT_T_MIN, tMax: DEFAULT_T_MAX, warmup: 0 });
  });

  it.each([
    [{ target: -1 }, "target", /^target/],
    [{ target: Number.NaN }, "target", /^target/],
    [{ target: 8.4, vocabSize: 4096 }, "target", /^target must be in \[0, ln V = 8\.318\]/],
    [{ target: 3, gain: -0.1 }, "gain", /^gain/],
    [{ target: 3, gain: Infinity }, "gain", /^gain/],
    [{ target: 3, gain: MAX_GAIN * 1.01 }, "gain", /^gain must be finite and in \[0, 2\]/],
    [{ target: 3, tMin: 0 }, "tMin", /^t_min must be finite and in \[0\.001, 100\]/],
    [{ target: 3, tMin: 2, tMax: 1 }, "tMax", /^t_max must be finite and in \[t_min, 100\]/],
    [{ target: 3, tMax: Infinity }, "tMax", /^t_max/],
    [{ target: 3, tMax: 3e38 }, "tMax", /^t_max/],
    [{ target: 3, warmup: 1.5 }, "warmup", /^warmup/],
    [{ target: 3, warmup: -1 }, "warmup", /^warmup/],
  ])("reject %o, naming %s", (options, option, message) => {
    expect(() => resolveControllerOptions(options)).toThrow(message);
    try {
      resolveControllerOptions(options);
    } catch (e) {
      expect(e).toBeInstanceOf(OptionError);
      expect(e).toBeInstanceOf(RangeError);
      expect((e as OptionError).option).toBe(option);
    }
  });

  it("accept the ends of every range", () => {
    const [lo, hi] = TEMPERATURE_BOUNDS;
    expect(resolveControllerOptions({ target: Math.log(4096), vocabSize: 4096, gain: MAX_GAIN, tMin: lo, tMax: hi })).toMatchObject({ gain: MAX_GAIN, tMin: lo, tMax: hi });
    expect(checkTarget(0, 4096)).toBe(0);
  });

  it("check t_init against the range, defaulting to 1 clamped into it", () => {
    expect(resolveInitialTemperature(undefined, { tMin: 0.1, tMax: 4 })).toBe(1);
    expect(resolveInitialTemperature(undefined, { tMin: 0.01, tMax: 0.02 })).toBe(0.02);
    expect(resolveInitialTemperature(0.5, { tMin: 0.1, tMax: 4 })).toBe(0.5);
    expect(() => resolveInitialTemperature(5, { tMin: 0.1, tMax: 4 })).toThrow(/^t_init/);
    expect(() => createExactController({ target: 3, tInit: 0 })).toThrow(/^t_init/);
    expect(() => createMarginalController({ target: 3, tInit: 9 })).toThrow(/^t_init/);
  });

  it("are checked when a controller is built", () => {
    expect(() => createExactController({ target: 3, tMin: -1 })).toThrow(/^t_min/);
    expect(() => createMarginalController({ target: -3 })).toThrow(/^target/);
  });
});

describe("clamping", () => {
  it("limits T to the range and detects float32-stored clamped values", () => {
    const range = { tMin: 0.1, tMax: 0.3 };
    expect(clampTemperature(0.01, range)).toBe(0.1);
    expect(clampTemperature(7, range)).toBe(0.3);
    expect(clampTemperature(0.2, range)).toBe(0.2);
    const step = createStep(new Float32Array(6), 3, 2, 0, Uint8Array.from([1, 1, 0]));
    step.temperature.set([0.2, 0.2, 0.3]);
    expect(anyRowAtClamp(step, range)).toBe(false);
    step.temperature[1] = clampTemperature(9, range);
    expect(anyRowAtClamp(step, range)).toBe(true);
  });
});

describe("fixed controller", () => {
  it("is the temperature sampler under a controller's name, never saturated", () => {
    const c = createFixedController(2);
    const step = createStep(Float32Array.from([2, 4]), 1, 2, 0);
    c.apply(step);
    expect([...step.scores]).toEqual([1, 2]);
    expect(c.name).toBe("fixed");
    expect(c.saturation).toBe(0);
    expect(() => createFixedController(0)).toThrow(/temperature/);
  });
});
