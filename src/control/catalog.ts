/**
 * Catalog — the fitted schedules and proxy calibration of one model, built from the JSON files
 * in `schedules/<model-id>/`. The Worker (from static assets) and the CLI (from disk) read the
 * files their own way and hand them here, so both validate with the same schema.
 */
import { parseCalibration, parseSchedule, type CalibrationFile } from "./schedule-schema.js";
import { createScheduleSet, type ScheduleSet } from "./schedule.js";

export interface Catalog {
  readonly schedules?: ScheduleSet;
  readonly calibration?: CalibrationFile;
}

/** One file as read: its name (for error messages) and parsed JSON. */
export interface CatalogFile {
  readonly name: string;
  readonly json: unknown;
}

/**
 * Validate and assemble. Throws an Error naming the file and the field when a file is invalid
 * or was fitted for another model (a schedule must never steer the wrong model).
 */
export function buildCatalog(modelId: string, files: readonly CatalogFile[]): Catalog {
  const schedules = [];
  let calibration: CalibrationFile | undefined;
  for (const { name, json } of files) {
    const kind = (json as { kind?: unknown } | null)?.kind;
    try {
      const parsed = kind === "calibration" ? parseCalibration(json) : parseSchedule(json);
      if (parsed.modelId !== modelId) throw new Error(`model_id ${parsed.modelId} does not match the loaded model ${modelId}`);
      if (parsed.kind === "calibration") calibration = parsed;
      else schedules.push(parsed);
    } catch (e) {
      throw new Error(`${name}: ${(e as Error).message}`);
    }
  }
  return {
    ...(schedules.length > 0 ? { schedules: createScheduleSet(schedules) } : {}),
    ...(calibration ? { calibration } : {}),
  };
}
