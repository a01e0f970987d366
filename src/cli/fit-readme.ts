/**
 * Regenerate schedules/README.md from the fitted files on disk (Node only): a section for the model
 * just fitted and one for every other model under models/ whose fits sit beside the README, so
 * fitting one model never drops another's numbers.
 */
import { existsSync } from "node:fs";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { parseCalibration } from "../control/schedule-schema.js";
import { type ReportedCalibration, type ReportedSchedule, type ReportInput, renderReport } from "../fit/report.js";
import { modelIdOf } from "../model/model.js";
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

/** A model whose fitted files the README reports. */
interface FittedModel {
  readonly dir: string;
  readonly modelId: string;
  readonly modelName: string;
}

/** Every model under `modelsRoot` with fitted files in `<README's directory>/<model id>/`. */
async function modelsBeside(readme: string, modelsRoot: string): Promise<FittedModel[]> {
  const base = dirname(readme);
  const found: FittedModel[] = [];
  for (const name of await readdir(modelsRoot).catch(() => [] as string[])) {
    const onnx = await readFile(join(modelsRoot, name, "onnx", "model.onnx")).catch(() => undefined);
    if (onnx === undefined) continue;
    const modelId = await modelIdOf(new Uint8Array(onnx));
    if (existsSync(join(base, modelId))) found.push({ dir: join(base, modelId), modelId, modelName: name });
  }
  return found;
}

/** The report of one model's fitted files in `dir` and its `sa/` and `optimize/` comparison folders. */
async function reportInput(path: string, m: FittedModel): Promise<ReportInput> {
  const base = dirname(path);
  const schedules = await readSchedules(m.dir, base);
  // --compare writes each method's fresh runs into a folder named after it.
  const comparisons = [...(await readSchedules(join(m.dir, "sa"), base)), ...(await readSchedules(join(m.dir, "optimize"), base))];
  let calibration: ReportedCalibration | undefined;
  const calPath = join(m.dir, "calibration.json");
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
  return { modelName: m.modelName, modelId: m.modelId, schedules, comparisons, ...(calibration ? { calibration } : {}) };
}

/**
 * Write the README at `path`: model `modelId`'s fitted files in `dir`, beside those of every other
 * model under `modelsRoot` fitted into the README's directory, sections in model-name order.
 */
export async function writeReadme(path: string, dir: string, modelId: string, modelName: string, modelsRoot = "models"): Promise<void> {
  const others = (await modelsBeside(path, modelsRoot)).filter((m) => m.modelId !== modelId);
  const models = [...others, { dir, modelId, modelName }].sort((a, b) => a.modelName.localeCompare(b.modelName));
  await writeFile(path, renderReport(...(await Promise.all(models.map((m) => reportInput(path, m))))));
}
