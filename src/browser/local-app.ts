/**
 * Local app — the playground's "run in this browser" switch: the very app and engine the Worker
 * runs (Hono routes, control plans, decode loop, tokenizer), built in the page over the same
 * static assets, on onnxruntime-web: WebGPU where `navigator.gpu` offers an adapter, wasm
 * otherwise. The page sends it the same requests it would send the server, through
 * `app.request`, and reads the same SSE. scripts/build-assets.mjs bundles this file (esbuild)
 * into local/engine.js; nothing in the Worker imports it.
 */
import type { Hono } from "hono";
import { readCatalog } from "../assets/catalog.js";
import { readModelFiles } from "../assets/model-files.js";
import { type AssetReader, readParts, urlReader } from "../assets/reader.js";
import { createApp } from "../http/app.js";
import { DEFAULT_LIMITS } from "../http/limits.js";
import { createLoader } from "../http/loader.js";
import { loadWebModel } from "../model/backend-web.js";
import { type ModelDtype, parseModelDtype } from "../model/dtype.js";
import { loadModel, type Model, type ModelFiles } from "../model/model.js";
import type { OrtModule } from "../model/ort.js";

/** onnxruntime-web's wasm builds, where build-assets puts them. */
const WASM = "vendor/ort/ort-wasm-simd-threaded.wasm";
/** The WebGPU build's wasm, over the per-asset limit, hence in parts. */
const WEBGPU_WASM = "vendor/ort/ort-wasm-simd-threaded.asyncify.wasm";

export interface LocalApp {
  readonly app: Hono;
  /** Loads the model on first call: where it runs ("webgpu" or "wasm") and why, when not WebGPU. */
  backend(): Promise<{ name: string; note?: string }>;
}

interface Loaded {
  readonly model: Model;
  readonly backend: { name: string; note?: string };
}

async function required(bytes: Promise<Uint8Array | undefined>, path: string): Promise<Uint8Array> {
  const b = await bytes;
  if (b === undefined) throw new Error(`asset ${path} is missing`);
  return b;
}

async function loadOnWebGpu(read: AssetReader, files: ModelFiles): Promise<Model> {
  const ort = await import("onnxruntime-web/webgpu");
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  ort.env.wasm.wasmBinary = await required(readParts(read, WEBGPU_WASM), `${WEBGPU_WASM}.0`);
  return loadModel(ort as unknown as OrtModule, files, { executionProviders: ["webgpu"], graphOptimizationLevel: "all" });
}

async function loadHere(read: AssetReader, name: string, dtype: ModelDtype): Promise<Loaded> {
  const files = await readModelFiles(read, name, dtype);
  const gpu = (globalThis as { navigator?: { gpu?: { requestAdapter(): Promise<unknown> } } }).navigator?.gpu;
  let note = "navigator.gpu is not available";
  if (gpu && (await gpu.requestAdapter().catch(() => null))) {
    try {
      return { model: await loadOnWebGpu(read, files), backend: { name: "webgpu" } };
    } catch (err) {
      note = `WebGPU failed (${err instanceof Error ? err.message : String(err)})`;
    }
  } else if (gpu) {
    note = "navigator.gpu offers no adapter";
  }
  const model = await loadWebModel(files, { bytes: await required(read(WASM), WASM) });
  return { model, backend: { name: "wasm", note } };
}

/**
 * The app over model `name`, reading the asset tree at `base` (the page's origin), on the ONNX
 * file `dtype` names (the server's, from GET /v1/schedules, so that both give the same tokens).
 */
export function createLocalApp(name: string, base: string, dtype = "fp32"): LocalApp {
  const variant = parseModelDtype(dtype, "fp32");
  const read = urlReader((url) => fetch(url), base);
  const load = createLoader(async () => {
    const loaded = await loadHere(read, name, variant);
    return { ...loaded, catalog: await readCatalog(read, loaded.model.id) };
  });
  const app = createApp({ modelName: name, limits: DEFAULT_LIMITS, getModel: load });
  return { app, backend: async () => (await load()).backend };
}
