/** Shared test fixtures: the default model loaded once per test file, on either backend. */
import { readFile } from "node:fs/promises";
import { loadNodeModel, readModelDir } from "../../src/model/backend-node.js";
import { loadWebModel } from "../../src/model/backend-web.js";
import type { ModelDtype } from "../../src/model/dtype.js";
import type { Model } from "../../src/model/model.js";

export const DEFAULT_MODEL_DIR = "models/kjv-gpt2-4m";

let node: Promise<Model> | undefined;
let web: Promise<Model> | undefined;
let nodeQ8: Promise<Model> | undefined;
let webQ8: Promise<Model> | undefined;

/** The default model on onnxruntime-node (cached per worker process). */
export function nodeModel(): Promise<Model> {
  node ??= loadNodeModel(DEFAULT_MODEL_DIR);
  return node;
}

/** The default model on onnxruntime-web's wasm build, compiled from bytes (Node allows that). */
export function webModel(): Promise<Model> {
  web ??= loadWeb("fp32");
  return web;
}

/** The default model's q8 variant (int8 weights, float16 KV cache) on onnxruntime-node. */
export function nodeModelQ8(): Promise<Model> {
  nodeQ8 ??= loadNodeModel(DEFAULT_MODEL_DIR, 0, "q8");
  return nodeQ8;
}

/** The q8 variant on onnxruntime-web, as the Worker serves it. */
export function webModelQ8(): Promise<Model> {
  webQ8 ??= loadWeb("q8");
  return webQ8;
}

async function loadWeb(dtype: ModelDtype): Promise<Model> {
  const wasm = await readFile("node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.wasm");
  return loadWebModel(await readModelDir(DEFAULT_MODEL_DIR, dtype), { bytes: new Uint8Array(wasm) });
}
