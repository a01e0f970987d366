/**
 * Model — everything loaded once per process or isolate and shared, immutable, by requests:
 * the ONNX session wrapped as a CausalLM, the tokenizer, the parsed config and a content id.
 */
import { type CausalLM, type CausalLMOptions, createCausalLM } from "./causal-lm.js";
import { type ModelSpec, parseModelConfig } from "./config.js";
import type { ModelDtype } from "./dtype.js";
import type { OrtModule } from "./ort.js";
import { createTokenizer, type TextTokenizer } from "./tokenizer.js";

/** The files of a Hugging Face-layout model directory, already in memory. */
export interface ModelFiles {
  /** Directory name, e.g. "kjv-gpt2-4m"; what clients pass as `model`. */
  readonly name: string;
  readonly config: unknown;
  readonly tokenizer: unknown;
  readonly tokenizerConfig: unknown;
  /** Which of the directory's ONNX files `onnx` is. */
  readonly dtype: ModelDtype;
  /** The ONNX file of `dtype` (src/model/dtype.ts). */
  readonly onnx: Uint8Array;
}

export interface Model {
  readonly name: string;
  /** Content hash of the ONNX file: schedules and calibrations are keyed by it. */
  readonly id: string;
  readonly spec: ModelSpec;
  /** The weight variant served. */
  readonly dtype: ModelDtype;
  /** Size of the ONNX file the session was created from, bytes: the memory model scales the runtime's by it (absent in test fakes). */
  readonly onnxBytes?: number;
  readonly lm: CausalLM;
  readonly tokenizer: TextTokenizer;
}

/** First 16 hex digits of the SHA-256 of the ONNX bytes. */
export async function modelIdOf(onnx: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", onnx as Uint8Array<ArrayBuffer>));
  return Array.from(digest.subarray(0, 8), (b) => b.toString(16).padStart(2, "0")).join("");
}

export async function loadModel(ort: OrtModule, files: ModelFiles, sessionOptions: Record<string, unknown> = {}, lmOptions: CausalLMOptions = {}): Promise<Model> {
  const spec = parseModelConfig(files.config);
  const tokenizer = createTokenizer(files.tokenizer, files.tokenizerConfig);
  const [id, session] = await Promise.all([modelIdOf(files.onnx), ort.InferenceSession.create(files.onnx, sessionOptions)]);
  return { name: files.name, id, spec, dtype: files.dtype, onnxBytes: files.onnx.byteLength, lm: createCausalLM(ort, session, spec, lmOptions), tokenizer };
}
