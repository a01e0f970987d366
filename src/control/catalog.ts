/**
 * Catalog — the fitted schedules and proxy calibration of one model, built from the JSON files
 * in `schedules/<model-id>/`. The Worker (from static assets) and the CLI (from disk) read the
 * files their own way and hand them here, so both validate with the same schema.
 *
 * The files are optional: a server leaves out a file it cannot use and keeps its reason, so a
 * broken schedule or calibration degrades only the modes that need it (as if it were absent,
 * see plan.ts) and the API says which file and why. The CLI refuses any broken file.
 */

import { createScheduleSet, type ScheduleSet } from "./schedule.js";
import { type CalibrationFile, parseCalibration, parseSchedule, type ScheduleFile } from "./schedule-schema.js";

/** A fitted file that was left out, and why. */
export interface BrokenFile {
  /** The file's name or asset path. */
  readonly name: string;
  /** What is wrong with it, naming the field where there is one. */
  readonly error: string;
}

export interface Catalog {
  readonly schedules?: ScheduleSet;
  readonly calibration?: CalibrationFile;
  /** Files that could not be used; absent when there were none. */
  readonly broken?: readonly BrokenFile[];
  /**
   * The model id the files were fitted on, when it is not the served model's: a weight variant
   * whose measured drift from that model is within tolerance (training/loss.mjs) uses its fits.
   */
  readonly fittedOn?: string;
}

/** One file as read: its name (for error messages) and parsed JSON. */
export interface CatalogFile {
  readonly name: string;
  readonly json: unknown;
}

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * Validate and assemble what can be used; never throws. A file that is invalid or was fitted
 * for another model (a schedule must never steer the wrong model) is left out and listed in
 * `broken`, with `known` (files that failed before they could be parsed) ahead of it.
 */
export function assembleCatalog(modelId: string, files: readonly CatalogFile[], known: readonly BrokenFile[] = []): Catalog {
  const broken = [...known];
  const schedules: { name: string; file: ScheduleFile }[] = [];
  let calibration: CalibrationFile | undefined;
  for (const { name, json } of files) {
    const kind = (json as { kind?: unknown } | null)?.kind;
    try {
      const parsed = kind === "calibration" ? parseCalibration(json) : parseSchedule(json);
      if (parsed.modelId !== modelId) throw new Error(`model_id ${parsed.modelId} does not match the loaded model ${modelId}`);
      if (parsed.kind === "calibration") calibration = parsed;
      else schedules.push({ name, file: parsed });
    } catch (e) {
      broken.push({ name, error: messageOf(e) });
    }
  }
  let set: ScheduleSet | undefined;
  if (schedules.length > 0) {
    try {
      set = createScheduleSet(schedules.map((s) => s.file));
    } catch (e) {
      // Files valid one by one that cannot be combined (a duplicate target): none is trusted.
      broken.push({ name: schedules.map((s) => s.name).join(", "), error: messageOf(e) });
    }
  }
  return {
    ...(set ? { schedules: set } : {}),
    ...(calibration ? { calibration } : {}),
    ...(broken.length > 0 ? { broken } : {}),
  };
}

/** Validate and assemble. Throws an Error naming the file and the field when any file is unusable. */
export function buildCatalog(modelId: string, files: readonly CatalogFile[]): Catalog {
  const catalog = assembleCatalog(modelId, files);
  const first = catalog.broken?.[0];
  if (first) throw new Error(`${first.name}: ${first.error}`);
  return catalog;
}
