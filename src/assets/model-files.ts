/**
 * Model files — a Hugging Face-layout model directory read through an AssetReader: the same
 * four files `readModelDir` reads from disk, for runtimes without a file system.
 */
import { MODEL_DTYPES, type ModelDtype } from "../model/dtype.js";
import type { ModelFiles } from "../model/model.js";
import { type AssetReader, readJson, readOptionalJson, readParts } from "./reader.js";

/** models/<name>/{config.json, tokenizer.json, tokenizer_config.json (optional), the ONNX file of `dtype`}. */
export async function readModelFiles(read: AssetReader, name: string, dtype: ModelDtype = "fp32"): Promise<ModelFiles> {
  const dir = `models/${name}`;
  const onnxPath = `${dir}/${MODEL_DTYPES[dtype]}`;
  const [config, tokenizer, tokenizerConfig, onnx] = await Promise.all([
    readJson(read, `${dir}/config.json`),
    readJson(read, `${dir}/tokenizer.json`),
    readOptionalJson(read, `${dir}/tokenizer_config.json`),
    // A file over the Workers asset limit is shipped in parts (scripts/build-assets.mjs).
    read(onnxPath).then((whole) => whole ?? readParts(read, onnxPath)),
  ]);
  if (onnx === undefined) throw new Error(`asset ${onnxPath} is missing, whole or in parts (MODEL_DTYPE ${dtype})`);
  return { name, config, tokenizer, tokenizerConfig: tokenizerConfig ?? {}, dtype, onnx };
}
