/**
 * Node backend — onnxruntime-node (native CPU kernels, all cores). Node-only: the Worker bundle
 * must never import this file.
 */
import { readFile } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import ort from "onnxruntime-node";
import { MODEL_DTYPES, type ModelDtype } from "./dtype.js";
import { loadModel, type Model, type ModelFiles } from "./model.js";
import type { OrtModule } from "./ort.js";

/** The file at `path`, or its numbered parts joined (`path.0`, `path.1`, …: an asset tree's file over the Workers limit). */
async function readWholeOrParts(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    const parts: Buffer[] = [];
    for (;;) {
      const part = await readFile(`${path}.${parts.length}`).catch(() => undefined);
      if (part === undefined) break;
      parts.push(part);
    }
    if (parts.length === 0) throw err;
    return Buffer.concat(parts);
  }
}

/** Read a Hugging Face-layout model directory (config.json, tokenizer*.json, the ONNX file of `dtype`). */
export async function readModelDir(dir: string, dtype: ModelDtype = "fp32"): Promise<ModelFiles> {
  const json = async (f: string): Promise<unknown> => JSON.parse(await readFile(join(dir, f), "utf8"));
  const [config, tokenizer, tokenizerConfig, onnx] = await Promise.all([
    json("config.json"),
    json("tokenizer.json"),
    json("tokenizer_config.json").catch(() => ({})),
    readWholeOrParts(join(dir, MODEL_DTYPES[dtype])),
  ]);
  return { name: basename(resolve(dir)), config, tokenizer, tokenizerConfig, dtype, onnx: new Uint8Array(onnx.buffer, onnx.byteOffset, onnx.byteLength) };
}

/**
 * The session options the engine runs with; the benchmark drives a bare session with the same.
 * `threads` 0 lets onnxruntime pick (all cores); the fitter may pin 1 to run rollouts side by side.
 */
export function nodeSessionOptions(threads = 0): Record<string, unknown> {
  return { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: "all" };
}

/** Load a model directory's `dtype` variant on onnxruntime-node. */
export async function loadNodeModel(dir: string, threads = 0, dtype: ModelDtype = "fp32"): Promise<Model> {
  return loadModel(ort as unknown as OrtModule, await readModelDir(dir, dtype), nodeSessionOptions(threads));
}
