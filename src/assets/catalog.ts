/**
 * Catalog files — the fitted schedules and calibration of one model, read through an
 * AssetReader. `scripts/build-assets.mjs` writes `schedules/manifest.json`, listing the files of
 * each `schedules/<model-id>/` directory; the listed files are validated and assembled by
 * `assembleCatalog`, with the schema the CLI uses. The files are optional: one that is missing,
 * malformed or invalid (the manifest included) is left out and named with its reason in
 * `catalog.broken`, so only the modes that need it degrade. A failure to read (an asset fetch
 * that errs) still fails the load, which is retried: it may heal, a broken file will not.
 */
import * as v from "valibot";
import { assembleCatalog, type BrokenFile, type Catalog, type CatalogFile } from "../control/catalog.js";
import { type AssetReader, parseJson } from "./reader.js";

const MANIFEST_PATH = "schedules/manifest.json";

const Manifest = v.object({
  version: v.literal(1),
  /** Asset paths of the fitted files, keyed by model id (the content hash of the ONNX file). */
  catalogs: v.record(v.string(), v.array(v.string())),
  /**
   * Variant model id → the model id whose fits it uses: written by the asset build only for a
   * variant that models/<name>/variants.json measured within tolerance of its fp32 export, on
   * the very files being shipped.
   */
  inherits: v.optional(v.record(v.string(), v.string())),
});

/** The JSON file `name`, or why it cannot be used; throws only when the read itself fails. */
async function readFile(read: AssetReader, name: string): Promise<CatalogFile | BrokenFile> {
  const bytes = await read(name);
  if (bytes === undefined) return { name, error: "the file is missing" };
  try {
    return { name, json: parseJson(bytes, name) };
  } catch (e) {
    return { name, error: (e as Error).message };
  }
}

const isBroken = (f: CatalogFile | BrokenFile): f is BrokenFile => "error" in f;

/** The catalog of model `modelId`; empty when nothing was fitted for it. */
export async function readCatalog(read: AssetReader, modelId: string): Promise<Catalog> {
  const manifestFile = await readFile(read, MANIFEST_PATH);
  if (isBroken(manifestFile)) return assembleCatalog(modelId, [], [manifestFile]);
  const manifest = v.safeParse(Manifest, manifestFile.json);
  if (!manifest.success) {
    const error = `${v.getDotPath(manifest.issues[0]) ?? "(root)"}: ${manifest.issues[0].message}`;
    return assembleCatalog(modelId, [], [{ name: MANIFEST_PATH, error }]);
  }
  const fittedOn = manifest.output.inherits?.[modelId] ?? modelId;
  const files = await Promise.all((manifest.output.catalogs[fittedOn] ?? []).map((name) => readFile(read, name)));
  const catalog = assembleCatalog(
    fittedOn,
    files.filter((f): f is CatalogFile => !isBroken(f)),
    files.filter(isBroken),
  );
  return fittedOn === modelId ? catalog : { ...catalog, fittedOn };
}
