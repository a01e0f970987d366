/**
 * Variant fits — the model id whose schedules and calibration a loaded model uses: its own, or,
 * for a weight variant, its export's where models/<name>/variants.json (training/loss.mjs)
 * measured it within tolerance and the export still hashes to what was measured. The CLI's
 * counterpart of the asset build's `inherits` (scripts/build-assets.mjs). Node only.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { MODEL_DTYPES } from "../model/dtype.js";
import { type Model, modelIdOf } from "../model/model.js";

interface VariantEntry {
  readonly model_id?: string;
  readonly inherits_fits_of?: string | null;
}

export async function fitsIdOf(dir: string, model: Model): Promise<string> {
  if (model.dtype === "fp32") return model.id;
  const report = await readFile(join(dir, "variants.json"), "utf8").catch(() => undefined);
  const entry = report === undefined ? undefined : (JSON.parse(report) as { files?: VariantEntry[] }).files?.find((f) => f.model_id === model.id);
  const base = entry?.inherits_fits_of;
  if (!base) return model.id;
  const exportId = await modelIdOf(new Uint8Array(await readFile(join(dir, MODEL_DTYPES.fp32))));
  return exportId === base ? base : model.id;
}
