/**
 * Node app — the API app on Node and onnxruntime-node, serving the asset tree that
 * scripts/build-assets.mjs writes (the Worker's ASSETS, on disk), the playground included.
 * Configured by the same variables as the Worker's [vars]; the Node server and the client tests
 * build it here.
 */

import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { serveStatic } from "@hono/node-server/serve-static";
import type { Hono } from "hono";
import { readCatalog } from "./assets/catalog.js";
import type { AssetReader } from "./assets/reader.js";
import { createApp } from "./http/app.js";
import { limitsFromVars } from "./http/limits.js";
import { createLoader } from "./http/loader.js";
import { staticAssets } from "./http/static-assets.js";
import { loadNodeModel } from "./model/backend-node.js";
import { parseModelDtype } from "./model/dtype.js";

/** The default model, as in wrangler.toml's [vars]. */
const DEFAULT_MODEL = "kjv-gpt2-4m";

/** A reader over a directory; absent files read as undefined. */
function dirReader(root: string): AssetReader {
  return async (path) => {
    try {
      const bytes = await readFile(join(root, path));
      return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
  };
}

/**
 * The app over the asset tree at `root`. `vars`: MODEL, MODEL_DTYPE (fp32 unless set), API_KEY and the limits of
 * src/http/limits.ts (MAX_TOKENS … STREAM_IDLE_MS). Throws naming a malformed variable.
 */
export function createNodeApp(root: string, vars: Readonly<Record<string, string | undefined>>): Hono {
  const name = vars["MODEL"] || DEFAULT_MODEL;
  const apiKey = vars["API_KEY"];
  const dtype = parseModelDtype(vars["MODEL_DTYPE"], "fp32");
  const app = createApp({
    modelName: name,
    limits: limitsFromVars(vars),
    ...(apiKey ? { apiKey } : {}),
    getModel: createLoader(async () => {
      const model = await loadNodeModel(join(root, "models", name), 0, dtype);
      return { model, catalog: await readCatalog(dirReader(root), model.id) };
    }),
  });
  const exists = async (path: string): Promise<boolean> => {
    const file = await stat(join(root, decodeURIComponent(path))).catch(() => undefined);
    if (file?.isDirectory()) return (await stat(join(root, decodeURIComponent(path), "index.html")).catch(() => undefined)) !== undefined;
    return file?.isFile() ?? false;
  };
  return app.use("*", staticAssets(serveStatic({ root }), exists));
}
