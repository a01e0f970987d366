/** Regenerate schedules/README.md from the fitted files of one model on disk (Node only). */
import { readFile, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { parseCalibration } from "../control/schedule-schema.js";
import { type ReportedCalibration, type ReportedSchedule, renderReport } from "../fit/report.js";
import { readScheduleDir } from "./schedule-files.js";

/** The fitter's `run` record, as far as the README reads it. */
interface Run {
  sweep?: { rollouts?: number; seconds?: number; temperatures?: number[] };
  fit_plan?: { full_length_iterations?: number };
  heldout_plan?: { seconds?: number; full?: number; mid?: number; short?: number; short_tokens?: number; prompts?: number };
  gain_trials?: { gain: number; rmse_0_window: number }[];
  window?: number;
}

async function readSchedules(dir: string, base: string): Promise<ReportedSchedule[]> {
  return (await readScheduleDir(dir)).map(({ path, file, run: provenance }) => {
    const run = provenance as Run | undefined;
    return {
      file,
      path: relative(base, path),
      ...(run?.sweep?.seconds !== undefined ? { sweepSeconds: run.sweep.seconds } : {}),
      ...(run?.sweep?.rollouts !== undefined ? { sweepRollouts: run.sweep.rollouts } : {}),
      ...(run?.sweep?.temperatures ? { sweepTemperatures: run.sweep.temperatures } : {}),
      ...(run?.heldout_plan?.seconds !== undefined ? { heldoutSeconds: run.heldout_plan.seconds } : {}),
      ...(run?.fit_plan?.full_length_iterations !== undefined ? { fullLengthIterations: run.fit_plan.full_length_iterations } : {}),
      ...(run?.heldout_plan?.prompts !== undefined
        ? {
            heldoutPlan: {
              full: run.heldout_plan.full ?? 0,
              mid: run.heldout_plan.mid ?? 0,
              short: run.heldout_plan.short ?? 0,
              shortTokens: run.heldout_plan.short_tokens ?? 0,
              prompts: run.heldout_plan.prompts,
            },
          }
        : {}),
    };
  });
}

/** Write the README at `path` for model `modelId` from the fitted files in `dir` and its `sa/` and `optimize/` comparison folders. */
export async function writeReadme(path: string, dir: string, modelId: string, modelName: string): Promise<void> {
  const base = dirname(path);
  const schedules = await readSchedules(dir, base);
  // --compare writes each method's fresh runs into a folder named after it.
  const comparisons = [...(await readSchedules(join(dir, "sa"), base)), ...(await readSchedules(join(dir, "optimize"), base))];
  let calibration: ReportedCalibration | undefined;
  const calPath = join(dir, "calibration.json");
  const raw = await readFile(calPath, "utf8").catch(() => undefined);
  if (raw !== undefined) {
    const json = JSON.parse(raw) as { run?: Run };
    calibration = {
      file: parseCalibration(json),
      path: relative(base, calPath),
      ...(json.run?.gain_trials ? { gainTrials: json.run.gain_trials.map((t) => ({ gain: t.gain, rmse: t.rmse_0_window })) } : {}),
      ...(json.run?.window !== undefined ? { window: json.run.window } : {}),
    };
  }
  await writeFile(path, renderReport({ modelName, modelId, schedules, comparisons, ...(calibration ? { calibration } : {}) }));
}
