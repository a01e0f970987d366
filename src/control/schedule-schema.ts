/**
 * On-disk schedules and calibrations — the one schema the CLI writes against and the Worker
 * loads with, so a file that fits passes everywhere and a file that does not fails at load.
 *
 * Files are versioned JSON in snake_case (the Hugging Face convention of the repository); they
 * are mapped to the camelCase types of schedule.ts and calibration.ts here and nowhere else, in
 * both directions. Unknown keys are dropped rather than rejected, so a writer may add provenance
 * (the fitter's `run` record, which only the schedules README reads); the serializers write it
 * after the schema's fields.
 */

import * as v from "valibot";
import { MAX_SEED } from "../sampling/rng.js";
import { type Calibration, LOGIT_STATISTICS, type OffsetTable } from "./calibration.js";
import { isNonIncreasing, isStrictlyIncreasing } from "./piecewise.js";
import type { FittedSchedule } from "./schedule.js";
import { type TargetTable, validateTargetTable } from "./target-table.js";

/** A schedule file as the program sees it. */
export interface ScheduleFile extends FittedSchedule {
  version: 1;
  kind: "schedule";
  modelId: string;
  fit: {
    /** Rows per rollout. */
    batch: number;
    /** Tokens generated per rollout. */
    tokens: number;
    /** Positions per window over which marginal entropy was measured. */
    window: number;
    /** Hash of the prompt set, so fits on different prompts are told apart. */
    promptsHash: string;
    seed: number;
    /** Stochastic approximation (per-position updates) or derivative-free optimisation. */
    method: "sa" | "optimize";
    /** Rollouts of `batch` rows × `tokens` tokens the fit generated, counted in tokens and rounded up. */
    rollouts: number;
    /** Measurements the method made (sa iterations or optimiser evaluations), when recorded. */
    iterations?: number;
    /** Wall-clock time of the fit, s. */
    seconds: number;
  };
  heldout: {
    /** RMSE of marginal entropy vs target over positions 0–300 on held-out prompts, nats. */
    rmse0To300: number;
    /** The same over positions 0–1000, nats. */
    rmse0To1000: number;
    /** Mean (measured − target) per window, nats, keyed by window label. */
    windowBias: Record<string, number>;
    /** Standard error of each window's bias across the held-out episodes (prompts) covering it, nats. */
    windowSe?: Record<string, number>;
    /** The RMSE that B-row sampling noise alone gives over positions 0–300 (bootstrap over rows), nats. */
    noiseFloor0To300?: number;
    /** The same over positions 0–1000, nats. */
    noiseFloor0To1000?: number;
  };
  /** The fixed temperature that matches the target on average, measured on the same held-out rollouts. */
  baseline?: {
    temperature: number;
    rmse0To300: number;
    rmse0To1000: number;
    windowBias: Record<string, number>;
    windowSe?: Record<string, number>;
  };
}

/** A calibration file as the program sees it. */
export interface CalibrationFile extends Calibration {
  version: 1;
  kind: "calibration";
  modelId: string;
  /** Marginal − conditional entropy by position, nats (see proxy.ts). */
  offset: OffsetTable;
  /**
   * Marginal − conditional entropy per fitted target and position, nats: the proxy's (and the
   * prompt-aware schedule's and exact's) offset at the request's target; `offset` pools it over
   * targets and serves where this is absent.
   */
  offsets?: TargetTable;
  /** 30-row − n-row marginal entropy per request size n (rows), fitted target and position, nats. */
  marginalGaps?: readonly MarginalGap[];
  /** Feedback gain fitted with the table, log T per nat. */
  gain: number;
  heldout: {
    /** Mean absolute error of predicted vs exact entropy, nats. */
    mae: number;
    /** Rank correlation of predicted vs exact entropy. */
    spearman: number;
    /** The same scores for every candidate statistic fitted, keyed by its name, when recorded. */
    candidates?: Record<string, { mae: number; spearman: number }>;
  };
}

/** The gap table of one request size. */
export interface MarginalGap {
  readonly rows: number;
  readonly table: TargetTable;
}

const finite = v.pipe(v.number(), v.finite());
const nonNegative = v.pipe(v.number(), v.finite(), v.minValue(0));
const positive = v.pipe(v.number(), v.finite(), v.gtValue(0));
const count = v.pipe(v.number(), v.integer(), v.minValue(1));
const name = v.pipe(v.string(), v.nonEmpty());
const correlation = v.pipe(v.number(), v.minValue(-1), v.maxValue(1));
const increasing = v.check((a: number[]) => isStrictlyIncreasing(a), "must be strictly increasing");

const ScheduleJson = v.pipe(
  v.object({
    version: v.literal(1),
    kind: v.literal("schedule"),
    model_id: name,
    target: nonNegative,
    fit: v.object({
      batch: count,
      tokens: count,
      window: count,
      prompts_hash: name,
      seed: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(MAX_SEED)),
      method: v.picklist(["sa", "optimize"]),
      rollouts: v.pipe(v.number(), v.integer(), v.minValue(0)),
      iterations: v.optional(count),
      seconds: nonNegative,
    }),
    positions: v.pipe(v.array(nonNegative), v.nonEmpty(), increasing),
    temperatures: v.array(positive),
    heldout: v.object({
      rmse_0_300: nonNegative,
      rmse_0_1000: nonNegative,
      window_bias: v.record(v.string(), finite),
      window_se: v.optional(v.record(v.string(), nonNegative)),
      noise_floor_0_300: v.optional(nonNegative),
      noise_floor_0_1000: v.optional(nonNegative),
    }),
    baseline: v.optional(
      v.object({
        temperature: positive,
        rmse_0_300: nonNegative,
        rmse_0_1000: nonNegative,
        window_bias: v.record(v.string(), finite),
        window_se: v.optional(v.record(v.string(), nonNegative)),
      }),
    ),
  }),
  v.forward(
    v.partialCheck([["positions"], ["temperatures"]], (f) => f.positions.length === f.temperatures.length, "must have as many values as positions"),
    ["temperatures"],
  ),
);

const TargetTableJson = v.pipe(
  v.object({ targets: v.array(finite), positions: v.array(nonNegative), values: v.array(v.array(finite)) }),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    try {
      validateTargetTable(dataset.value, "table");
    } catch (e) {
      addIssue({ message: (e as Error).message });
    }
  }),
);

const CalibrationJson = v.pipe(
  v.object({
    version: v.literal(1),
    kind: v.literal("calibration"),
    model_id: name,
    statistic: v.picklist(LOGIT_STATISTICS),
    x: v.pipe(v.array(nonNegative), v.minLength(2), increasing),
    entropy: v.pipe(
      v.array(nonNegative),
      v.check((a: number[]) => isNonIncreasing(a), "must be non-increasing in x"),
    ),
    offset: v.pipe(
      v.object({ positions: v.pipe(v.array(nonNegative), v.nonEmpty(), increasing), values: v.array(finite) }),
      v.forward(
        v.partialCheck([["positions"], ["values"]], (o) => o.positions.length === o.values.length, "must have as many values as positions"),
        ["values"],
      ),
    ),
    offsets: v.optional(TargetTableJson),
    marginal_gaps: v.optional(v.array(v.intersect([v.object({ rows: v.pipe(count, v.minValue(2)) }), TargetTableJson]))),
    gain: nonNegative,
    heldout: v.object({
      mae: nonNegative,
      spearman: correlation,
      candidates: v.optional(v.record(v.string(), v.object({ mae: nonNegative, spearman: correlation }))),
    }),
  }),
  v.forward(
    v.partialCheck([["x"], ["entropy"]], (c) => c.x.length === c.entropy.length, "must have as many values as x"),
    ["entropy"],
  ),
);

/** Throws an Error naming the first bad field, e.g. `schedule file: temperatures.2: ...`. */
function parseWith<S extends v.GenericSchema>(schema: S, what: string, json: unknown): v.InferOutput<S> {
  const result = v.safeParse(schema, json);
  if (result.success) return result.output;
  const issue = result.issues[0];
  throw new Error(`${what}: ${v.getDotPath(issue) ?? "(root)"}: ${issue.message}`);
}

/**
 * The wire (snake_case) name of each ScheduleFile field whose name differs; every other key is the
 * same on both sides. One table for both directions, so the reader and the writer cannot disagree.
 */
const SCHEDULE_WIRE_NAMES: Readonly<Record<string, string>> = {
  modelId: "model_id",
  promptsHash: "prompts_hash",
  rmse0To300: "rmse_0_300",
  rmse0To1000: "rmse_0_1000",
  windowBias: "window_bias",
  windowSe: "window_se",
  noiseFloor0To300: "noise_floor_0_300",
  noiseFloor0To1000: "noise_floor_0_1000",
};
const SCHEDULE_FIELD_NAMES: Readonly<Record<string, string>> = Object.fromEntries(Object.entries(SCHEDULE_WIRE_NAMES).map(([field, wire]) => [wire, field]));

/**
 * `value` with every object key renamed through `names`, recursively, in the same order; absent
 * (undefined) fields left out. Arrays here hold numbers and pass through; records keyed by data
 * (window labels such as "0-10") pass through too, as their keys are in no table.
 */
function renameKeys(value: unknown, names: Readonly<Record<string, string>>): unknown {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .map(([key, v]) => [names[key] ?? key, renameKeys(v, names)]),
  );
}

/** A schedule file, validated and mapped to camelCase; throws an Error naming the bad field. */
export function parseSchedule(json: unknown): ScheduleFile {
  return renameKeys(parseWith(ScheduleJson, "schedule file", json), SCHEDULE_FIELD_NAMES) as ScheduleFile;
}

/** A calibration file, validated and mapped to camelCase; throws an Error naming the bad field. */
export function parseCalibration(json: unknown): CalibrationFile {
  const f = parseWith(CalibrationJson, "calibration file", json);
  return {
    version: f.version,
    kind: f.kind,
    modelId: f.model_id,
    statistic: f.statistic,
    x: f.x,
    entropy: f.entropy,
    offset: { positions: f.offset.positions, values: f.offset.values },
    ...(f.offsets ? { offsets: tableOf(f.offsets) } : {}),
    ...(f.marginal_gaps ? { marginalGaps: f.marginal_gaps.map((g) => ({ rows: g.rows, table: tableOf(g) })) } : {}),
    gain: f.gain,
    heldout: { mae: f.heldout.mae, spearman: f.heldout.spearman, ...(f.heldout.candidates ? { candidates: f.heldout.candidates } : {}) },
  };
}

function tableOf(t: TargetTable): TargetTable {
  return { targets: t.targets, positions: t.positions, values: t.values };
}

/** Provenance a writer records beside the schema's fields (not validated, not loaded by the Worker). */
export type Provenance = Readonly<Record<string, unknown>>;

/** The snake_case JSON of a schedule file, keys in the order they are written (ScheduleFile's). */
function scheduleJson(f: ScheduleFile): Record<string, unknown> {
  return renameKeys(f, SCHEDULE_WIRE_NAMES) as Record<string, unknown>;
}

/** The snake_case JSON of a calibration file, keys in the order they are written. */
function calibrationJson(f: CalibrationFile): Record<string, unknown> {
  return {
    version: f.version,
    kind: f.kind,
    model_id: f.modelId,
    statistic: f.statistic,
    x: f.x,
    entropy: f.entropy,
    offset: { positions: f.offset.positions, values: f.offset.values },
    ...(f.offsets ? { offsets: tableOf(f.offsets) } : {}),
    ...(f.marginalGaps ? { marginal_gaps: f.marginalGaps.map((g) => ({ rows: g.rows, ...tableOf(g.table) })) } : {}),
    gain: f.gain,
    heldout: { mae: f.heldout.mae, spearman: f.heldout.spearman, ...(f.heldout.candidates ? { candidates: f.heldout.candidates } : {}) },
  };
}

/** Indented JSON with arrays of numbers kept on one line (knot tables stay readable), ending in a newline. */
function formatJson(value: unknown): string {
  const text = JSON.stringify(value, null, 2).replace(/\[[\d\s.,eE+-]*\]/g, (a) => a.replace(/\s+/g, " ").replace("[ ", "[").replace(" ]", "]"));
  return `${text}\n`;
}

/**
 * The text of a schedule file, with `run` provenance after the schema's fields when given.
 * Validated as it is written (throws like parseSchedule), so what is written loads.
 */
export function serializeSchedule(file: ScheduleFile, run?: Provenance): string {
  const json = { ...scheduleJson(file), ...(run ? { run } : {}) };
  parseSchedule(json);
  return formatJson(json);
}

/**
 * The text of a calibration file, with `run` provenance after the schema's fields when given.
 * Validated as it is written (rounded table knots can collide), so what is written loads.
 */
export function serializeCalibration(file: CalibrationFile, run?: Provenance): string {
  const json = { ...calibrationJson(file), ...(run ? { run } : {}) };
  parseCalibration(json);
  return formatJson(json);
}
