import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createProxyController } from "../src/control/proxy.js";
import { createScheduleSet, temperatureAt } from "../src/control/schedule.js";
import { type CalibrationFile, parseCalibration, parseSchedule, type ScheduleFile, serializeCalibration, serializeSchedule } from "../src/control/schedule-schema.js";

const schedule = () => ({
  version: 1,
  kind: "schedule",
  model_id: "isentropic/tiny-gpt",
  target: 3,
  fit: { batch: 8, tokens: 1000, window: 50, prompts_hash: "sha256:ab12", seed: 7, method: "sa", rollouts: 400, seconds: 812.5 },
  positions: [0, 100, 1000],
  temperatures: [0.8, 1.1, 1.3],
  heldout: { rmse_0_300: 0.12, rmse_0_1000: 0.2, window_bias: { "0-50": 0.05, "50-300": -0.02 } },
});

const calibration = () => ({
  version: 1,
  kind: "calibration",
  model_id: "isentropic/tiny-gpt",
  statistic: "gap",
  x: [0, 2, 6, 12],
  entropy: [8, 6, 2.5, 0.4],
  offset: { positions: [0, 200], values: [0, 0.6] },
  gain: 0.1,
  heldout: { mae: 0.15, spearman: 0.93 },
});

/** A deep copy of `base` with the value at `path` replaced (or removed when `value` is undefined). */
function withField<T extends object>(base: T, path: string, value: unknown): T {
  const copy = structuredClone(base) as Record<string, unknown>;
  const keys = path.split(".");
  let node = copy;
  for (const key of keys.slice(0, -1)) node = node[key] as Record<string, unknown>;
  const last = keys[keys.length - 1]!;
  if (value === undefined) delete node[last];
  else node[last] = value;
  return copy as T;
}

describe("parseSchedule", () => {
  it("maps a valid file to camelCase, usable as a fitted schedule", () => {
    const parsed = parseSchedule(schedule());
    expect(parsed.modelId).toBe("isentropic/tiny-gpt");
    expect(parsed.fit.promptsHash).toBe("sha256:ab12");
    expect(parsed.heldout).toEqual({ rmse0To300: 0.12, rmse0To1000: 0.2, windowBias: { "0-50": 0.05, "50-300": -0.02 } });
    expect(temperatureAt(createScheduleSet([parsed]), 3, 100)).toBeCloseTo(1.1, 6);
  });

  it("round-trips structurally (structuredClone and JSON)", () => {
    const parsed = parseSchedule(schedule());
    expect(structuredClone(parsed)).toEqual(parsed);
    expect(parseSchedule(JSON.parse(JSON.stringify(schedule())))).toEqual(parsed);
  });

  it.each([
    ["version", 2],
    ["kind", "calibration"],
    ["model_id", ""],
    ["model_id", undefined],
    ["target", -1],
    ["fit.batch", 0],
    ["fit.tokens", 1.5],
    ["fit.prompts_hash", 3],
    ["fit.seed", -1],
    ["fit.method", "grid"],
    ["fit.rollouts", -2],
    ["fit.seconds", "long"],
    ["positions", [0, 100, 100]],
    ["positions", []],
    ["positions.1", Number.NaN],
    ["temperatures.2", 0],
    ["temperatures", [1, 1]],
    ["heldout.rmse_0_300", -0.1],
    ["heldout.rmse_0_1000", undefined],
    ["heldout.window_bias.0-50", "high"],
  ])("rejects a bad %s, naming it", (path, value) => {
    const bad = path === "heldout.window_bias.0-50" ? { ...schedule(), heldout: { ...schedule().heldout, window_bias: { "0-50": value } } } : withField(schedule(), path, value);
    expect(() => parseSchedule(bad)).toThrow(new RegExp(`^schedule file: ${path.replace(/\./g, "\\.")}: `));
  });

  it("rejects something that is not an object", () => {
    expect(() => parseSchedule(null)).toThrow(/^schedule file: \(root\): /);
    expect(() => parseSchedule("{}")).toThrow(/^schedule file: \(root\): /);
  });
});

describe("parseCalibration", () => {
  it("maps a valid file to camelCase, usable by the proxy controller", () => {
    const parsed = parseCalibration(calibration());
    expect(parsed.modelId).toBe("isentropic/tiny-gpt");
    expect(parsed.offset).toEqual({ positions: [0, 200], values: [0, 0.6] });
    expect(parsed.heldout).toEqual({ mae: 0.15, spearman: 0.93 });
    expect(createProxyController({ target: 3, calibration: parsed, gain: parsed.gain }).name).toBe("proxy");
    expect(structuredClone(parsed)).toEqual(parsed);
  });

  it.each([
    ["version", 0],
    ["kind", "schedule"],
    ["model_id", 5],
    ["statistic", "mean"],
    ["x", [0]],
    ["x", [0, 2, 2, 12]],
    ["x.0", -1],
    ["entropy", [8, 6, 7, 0.4]],
    ["entropy", [8, 6, 2.5]],
    ["offset.positions", [200, 0]],
    ["offset.values", [0]],
    ["gain", -0.1],
    ["heldout.mae", undefined],
    ["heldout.spearman", 1.5],
  ])("rejects a bad %s, naming it", (path, value) => {
    expect(() => parseCalibration(withField(calibration(), path, value))).toThrow(new RegExp(`^calibration file: ${path.replace(/\./g, "\\.")}: `));
  });
});

describe("serializeSchedule / serializeCalibration", () => {
  const bare = (): ScheduleFile => parseSchedule(schedule());
  const full = (): ScheduleFile => ({
    ...bare(),
    fit: { ...bare().fit, iterations: 4 },
    heldout: { ...bare().heldout, windowSe: { "0-50": 0.01 }, noiseFloor0To300: 0.08, noiseFloor0To1000: 0.07 },
    baseline: { temperature: 0.95, rmse0To300: 0.4, rmse0To1000: 0.2, windowBias: { "0-50": -0.8 }, windowSe: { "0-50": 0.05 } },
  });
  const cal = (): CalibrationFile => ({ ...parseCalibration(calibration()), heldout: { mae: 0.15, spearman: 0.93, candidates: { std: { mae: 0.3, spearman: 0.8 } } } });

  it.each([
    ["a schedule without the optional fields", bare],
    ["a schedule with every optional field", full],
  ])("round-trips %s: parse(serialize(x)) equals x", (_, make) => {
    const x = make();
    expect(parseSchedule(JSON.parse(serializeSchedule(x)))).toEqual(x);
  });

  it("round-trips a calibration, with and without the candidates' scores", () => {
    expect(parseCalibration(JSON.parse(serializeCalibration(cal())))).toEqual(cal());
    const without = parseCalibration(calibration());
    expect(parseCalibration(JSON.parse(serializeCalibration(without)))).toEqual(without);
  });

  it("round-trips per-target offsets and the k-row marginal gaps, and refuses a table that does not fit together", () => {
    const table = {
      targets: [3.5, 6.5],
      positions: [0, 10, 1000],
      values: [
        [0, 1.8, 2],
        [0, 1.1, 1.2],
      ],
    };
    const withGaps: CalibrationFile = {
      ...cal(),
      offsets: table,
      marginalGaps: [
        { rows: 4, table },
        { rows: 8, table },
      ],
    };
    const text = serializeCalibration(withGaps);
    expect(parseCalibration(JSON.parse(text))).toEqual(withGaps);
    expect(JSON.parse(text).marginal_gaps[1]).toEqual({ rows: 8, ...table });
    expect(() => serializeCalibration({ ...withGaps, offsets: { ...table, values: [[0, 1.8, 2]] } })).toThrow(/offsets: table\.values must have one row per target/);
    expect(() => parseCalibration({ ...calibration(), marginal_gaps: [{ rows: 1, ...table }] })).toThrow(/marginal_gaps\.0\.rows/);
  });

  it("writes snake_case in the schema's order, knot tables on one line, provenance last, and a final newline", () => {
    const text = serializeSchedule(full(), { sweep: { temperatures: [0.5, 1] } });
    expect(Object.keys(JSON.parse(text))).toEqual(["version", "kind", "model_id", "target", "fit", "positions", "temperatures", "heldout", "baseline", "run"]);
    expect(text).toContain('\n  "positions": [0, 100, 1000],\n');
    expect(text).toContain('"temperatures": [0.5, 1]');
    expect(text.endsWith("}\n")).toBe(true);
    expect(Object.keys(JSON.parse(serializeCalibration(cal(), { seed: 1 })))).toEqual(["version", "kind", "model_id", "statistic", "x", "entropy", "offset", "gain", "heldout", "run"]);
  });

  it("refuses to write what would not load, naming the field", () => {
    expect(() => serializeSchedule({ ...bare(), temperatures: [1, 1] })).toThrow(/^schedule file: temperatures: /);
    expect(() => serializeCalibration({ ...cal(), x: [0, 2, 2, 12] })).toThrow(/^calibration file: x: /);
  });

  // The files in schedules/ were written before the serializers existed: rewriting each from
  // what parse reads (plus its `run` provenance) must give the same bytes.
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : /^(target-.*|calibration)\.json$/.test(e.name) ? [join(dir, e.name)] : []));
  const shipped = walk("schedules");

  it("finds the shipped files", () => {
    expect(shipped.length).toBeGreaterThanOrEqual(2);
  });

  it.each(shipped)("rewrites %s byte for byte", (path) => {
    const text = readFileSync(path, "utf8");
    const json = JSON.parse(text) as { kind: string; run?: Record<string, unknown> };
    expect(json.kind === "schedule" ? serializeSchedule(parseSchedule(json), json.run) : serializeCalibration(parseCalibration(json), json.run)).toBe(text);
  });
});
