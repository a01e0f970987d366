/**
 * Model files — a Hugging Face-layout model directory read through an AssetReader: the same
 * four files `readModelDir` reads from disk, for runtimes without a file system.
 */
import type { ModelFiles } from "../model/model.js";
import { type AssetReader, readJson, readOptionalJson } from "./reader.js";

/** models/<name>/{config.json, tokenizer.json, tokenizer_config.json (optional), onnx/model.onnx}. */
export async function readModelFiles(read: AssetReader, name: string): Promise<ModelFiles> {
  const dir = `models/${name}`;
  const [config, tokenizer, tokenizerConfig, onnx] = await Promise.all([
    readJson(read, `${dir}/config.json`),
    readJson(read, `${dir}/tokenizer.json`),
    readOptionalJson(read, `${dir}/tokenizer_config.json`),
    read(`${dir}/onnx/model.onnx`),
  ]);
  if (onnx === undefined) throw new Error(`asset ${dir}/onnx/model.onnx is missing`);
  return { name, config, tokenizer, tokenizerConfig: tokenizerConfig ?? {}, onnx };
}
