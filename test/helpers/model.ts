/**
 * Shared test fixtures: the model under test loaded once per test file, on either backend.
 *
 * TEST_MODEL names the directory under models/ (the default model unless set): vitest.config.ts
 * runs every integration file that loads a model a second time with TEST_MODEL set to the Llama
 * model, so both architectures go through the same API, decode and Worker checks.
 */
import { readFile } from "node:fs/promises";
import { loadNodeModel, readModelDir } from "../../src/model/backend-node.js";
import { loadWebModel } from "../../src/model/backend-web.js";
import type { ModelDtype } from "../../src/model/dtype.js";
import type { Model } from "../../src/model/model.js";

/** The model the Worker and the Node server serve when MODEL is not set. */
export const DEFAULT_MODEL = "kjv-gpt2-4m";
/** The model under test: its name, and its directory. */
export const TEST_MODEL = process.env["TEST_MODEL"] ?? DEFAULT_MODEL;
export const TEST_MODEL_DIR = `models/${TEST_MODEL}`;

let node: Promise<Model> | undefined;
let web: Promise<Model> | undefined;
let nodeQ8: Promise<Model> | undefined;
let webQ8: Promise<Model> | undefined;

/** The model under test on onnxruntime-node (cached per worker process). */
export function nodeModel(): Promise<Model> {
  node ??= loadNodeModel(TEST_MODEL_DIR);
  return node;
}

/** The model under test on onnxruntime-web's wasm build, compiled from bytes (Node allows that). */
export function webModel(): Promise<Model> {
  web ??= loadWeb("fp32");
  return web;
}

/** The model under test's q8 variant (int8 weights, float16 KV cache) on onnxruntime-node. */
export function nodeModelQ8(): Promise<Model> {
  nodeQ8 ??= loadNodeModel(TEST_MODEL_DIR, 0, "q8");
  return nodeQ8;
}

/** The q8 variant on onnxruntime-web, as the Worker serves it. */
export function webModelQ8(): Promise<Model> {
  webQ8 ??= loadWeb("q8");
  return webQ8;
}

async function loadWeb(dtype: ModelDtype): Promise<Model> {
  const wasm = await readFile("node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.wasm");
  return loadWebModel(await readModelDir(TEST_MODEL_DIR, dtype), { bytes: new Uint8Array(wasm) });
}
