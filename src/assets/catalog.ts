/**
 * Catalog files — the fitted schedules and calibration of one model, read through an
 * AssetReader. `scripts/build-assets.mjs` writes `schedules/manifest.json`, listing the files of
 * each `schedules/<model-id>/` directory; the listed files are validated and assembled by
 * `buildCatalog`, the path the CLI takes too, so a bad file fails the load naming its path and
 * field instead of steering generations wrongly.
 */
import * as v from "valibot";
import { buildCatalog, type Catalog } from "../control/catalog.js";
import { type AssetReader, readJson } from "./reader.js";

const MANIFEST_PATH = "schedules/manifest.json";

const Manifest = v.object({
  version: v.literal(1),
  /** Asset paths of the fitted files, keyed by model id (the content hash of the ONNX file). */
  catalogs: v.record(v.string(), v.array(v.string())),
});

/** The catalog of model `modelId`; empty when nothing was fitted for it. */
export async function readCatalog(read: AssetReader, modelId: string): Promise<Catalog> {
  const manifest = v.safeParse(Manifest, await readJson(read, MANIFEST_PATH));
  if (!manifest.success) throw new Error(`${MANIFEST_PATH}: ${v.getDotPath(manifest.issues[0]) ?? "(root)"}: ${manifest.issues[0].message}`);
  const paths = manifest.output.catalogs[modelId] ?? [];
  const files = await Promise.all(paths.map(async (name) => ({ name, json: await readJson(read, name) })));
  return buildCatalog(modelId, files);
}
