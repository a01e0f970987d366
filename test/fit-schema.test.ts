/** The fields the fitter adds to the shared schema: optional, mapped to camelCase, checked by name. */
import { describe, expect, it } from "vitest";
import { parseCalibration, parseSchedule } from "../src/control/schedule-schema.js";

const schedule = () => ({
  version: 1,
  kind: "schedule",
  model_id: "abc",
  target: 3,
  fit: { batch: 30, tokens: 1000, window: 300, prompts_hash: "sha256:1", seed: 1, method: "sa", rollouts: 6, iterations: 4, seconds: 100 },
  positions: [0, 999],
  temperatures: [1.3, 0.9],
  heldout: { rmse_0_300: 0.1, rmse_0_1000: 0.09, window_bias: { "0-10": 0.01 }, noise_floor_0_300: 0.08, noise_floor_0_1000: 0.07 },
  baseline: { temperature: 0.95, rmse_0_300: 0.4, rmse_0_1000: 0.2, window_bias: { "0-10": -0.8 } },
  run: { provenance: "dropped" },
});

const calibration = () => ({
  version: 1,
  kind: "calibration",
  model_id: "abc",
  statistic: "gap",
  x: [0, 1],
  entropy: [5, 1],
  offset: { positions: [0], values: [0] },
  gain: 0.1,
  heldout: { mae: 0.2, spearman: 0.9, candidates: { std: { mae: 0.3, spearman: 0.8 } } },
});

describe("schedule file: fitter fields", () => {
  it("maps iterations, noise floors and the fixed-T baseline, and drops provenance", () => {
    const s = parseSchedule(schedule());
    expect(s.fit.iterations).toBe(4);
    expect(s.heldout.noiseFloor0To300).toBe(0.08);
    expect(s.heldout.noiseFloor0To1000).toBe(0.07);
    expect(s.baseline).toEqual({ temperature: 0.95, rmse0To300: 0.4, rmse0To1000: 0.2, windowBias: { "0-10": -0.8 } });
    expect("run" in s).toBe(false);
    expect(structuredClone(s)).toEqual(s);
  });

  it("maps the windows' standard errors across held-out episodes, for the schedule and its baseline", () => {
    const j = { ...schedule(), heldout: { ...schedule().heldout, window_se: { "0-10": 0.02 } }, baseline: { ...schedule().baseline, window_se: { "0-10": 0.05 } } };
    const s = parseSchedule(j);
    expect(s.heldout.windowSe).toEqual({ "0-10": 0.02 });
    expect(s.baseline?.windowSe).toEqual({ "0-10": 0.05 });
    expect(() => parseSchedule({ ...j, heldout: { ...j.heldout, window_se: { "0-10": -0.1 } } })).toThrow(/^schedule file: heldout\.window_se\.0-10: /);
  });

  it("accepts files without them, leaving no undefined keys behind", () => {
    const bare = schedule() as Record<string, unknown> & ReturnType<typeof schedule>;
    delete (bare as Partial<typeof bare>).baseline;
    delete (bare.fit as Partial<typeof bare.fit>).iterations;
    delete (bare.heldout as Partial<typeof bare.heldout>).noise_floor_0_300;
    delete (bare.heldout as Partial<typeof bare.heldout>).noise_floor_0_1000;
    const s = parseSchedule(bare);
    expect(Object.keys(s)).not.toContain("baseline");
    expect(Object.keys(s.fit)).not.toContain("iterations");
    expect(Object.keys(s.heldout)).toEqual(["rmse0To300", "rmse0To1000", "windowBias"]);
  });

  it.each([
    ["fit.iterations", 0, (j: ReturnType<typeof schedule>) => Object.assign(j, { fit: { ...j.fit, iterations: 0 } })],
    ["heldout.noise_floor_0_300", -1, (j: ReturnType<typeof schedule>) => Object.assign(j, { heldout: { ...j.heldout, noise_floor_0_300: -1 } })],
    ["baseline.temperature", 0, (j: ReturnType<typeof schedule>) => Object.assign(j, { baseline: { ...j.baseline, temperature: 0 } })],
    ["baseline.rmse_0_1000", "x", (j: ReturnType<typeof schedule>) => Object.assign(j, { baseline: { ...j.baseline, rmse_0_1000: "x" } })],
  ])("rejects a bad %s, naming it", (path, _value, edit) => {
    expect(() => parseSchedule(edit(schedule()))).toThrow(new RegExp(`^schedule file: ${path.replace(/\./g, "\\.")}: `));
  });
});

describe("calibration file: fitter fields", () => {
  it("maps the candidates' held-out scores, and accepts files without them", () => {
    expect(parseCalibration(calibration()).heldout.candidates).toEqual({ std: { mae: 0.3, spearman: 0.8 } });
    const bare = calibration();
    delete (bare.heldout as Partial<typeof bare.heldout>).candidates;
    expect(parseCalibration(bare).heldout).toEqual({ mae: 0.2, spearman: 0.9 });
  });

  it("rejects a candidate with a correlation outside [-1, 1], naming it", () => {
    const bad = calibration();
    bad.heldout.candidates.std.spearman = 2;
    expect(() => parseCalibration(bad)).toThrow(/^calibration file: heldout\.candidates\.std\.spearman: /);
  });
});
