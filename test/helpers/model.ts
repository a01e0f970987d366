/** Shared test fixtures: the default model loaded once per test file, on either backend. */
import { readFile } from "node:fs/promises";
import { loadNodeModel, readModelDir } from "../../src/model/backend-node.js";
import { loadWebModel } from "../../src/model/backend-web.js";
import type { Model } from "../../src/model/model.js";

export const DEFAULT_MODEL_DIR = "models/kjv-gpt2-4m";

let node: Promise<Model> | undefined;
let web: Promise<Model> | undefined;

/** The default model on onnxruntime-node (cached per worker process). */
export function nodeModel(): Promise<Model> {
  node ??= loadNodeModel(DEFAULT_MODEL_DIR);
  return node;
}

/** The default model on onnxruntime-web's wasm build, compiled from bytes (Node allows that). */
export function webModel(): Promise<Model> {
  web ??= (async () => {
    const wasm = await readFile("node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.wasm");
    return loadWebModel(await readModelDir(DEFAULT_MODEL_DIR), { bytes: new Uint8Array(wasm) });
  })();
  return web;
}
