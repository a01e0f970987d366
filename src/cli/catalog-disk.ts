/** Read `schedules/<model-id>/*.json` from disk into a Catalog (Node only). */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { buildCatalog, type Catalog } from "../control/catalog.js";

export async function loadCatalogFromDisk(root: string, modelId: string): Promise<Catalog> {
  const dir = join(root, modelId);
  const names = await readdir(dir).catch(() => [] as string[]);
  const files = await Promise.all(
    names.filter((n) => n.endsWith(".json") && n !== "manifest.json").map(async (name) => ({ name, json: JSON.parse(await readFile(join(dir, name), "utf8")) as unknown })),
  );
  return buildCatalog(modelId, files);
}
