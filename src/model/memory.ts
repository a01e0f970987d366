/**
 * Memory model — the isolate bytes a generation needs, from the model's shape, so that requests
 * are admitted against a budget (MEMORY_BUDGET_MB) instead of Workers killing the isolate, with
 * every request in it, past its 128 MB (V8 heap, ArrayBuffers and WebAssembly memory together).
 *
 * On onnxruntime-web the KV cache lives in JS: the tensors a run hands back. A step runs the
 * session once per run of rows (CausalLMOptions.rowsPerRun); each run copies its slice of the
 * cache into wasm memory, writes the next slice there and copies it out, and the old slice is
 * freed at once (causal-lm.ts detaches its buffer). With b bytes of K and V per row and position,
 * a generation of n rows at P positions holds
 *
 *   n·P·b     its cache, fp32, in JS;
 *   n·P·h     V8 heap per token of the answer (token events, text, JSON), h measured;
 *   n·V·4·m   logits (V the vocabulary), m copies between the runtime and the sampler;
 *
 * and while one of its runs is under way, a transient of c·P·b (the next slice in JS beside the
 * old) plus the run's input and output in wasm memory, 2·c·P·b, which reuse the space the model's
 * load left free in wasm memory and grow it only past that. Runs of different generations never
 * overlap (wasm runs one at a time), so the gate counts the largest transient once.
 *
 * Measured in workerd through the inspector (test/worker-memory.test.ts): idle with the model
 * loaded, 5.2 MiB of heap + 62.6 MiB of wasm memory; four n = 1 × 1000-token generations at once
 * peaked at 12.9 MiB heap + 33.9 MiB ArrayBuffers + 62.6 MiB wasm = 109.4 MiB, where this model
 * says 116.9; n = 8 × 1000 at 152.9 MiB, where it says 156.5.
 */
import type { ModelSpec } from "./config.js";

const MiB = 2 ** 20;
/** Bytes of one float32. */
const F32 = 4;
/** Copies of a step's logits alive at once (the runtime's output, the batch, the sampler's scratch). */
const LOGIT_COPIES = 4;
/** V8 heap per generated token, bytes: its event, text and share of the answer (measured: 1.9 KiB). */
export const HEAP_PER_TOKEN = 2048;
/** Wasm memory the model's load leaves free for a run's copies: a 1005-position row's (15.7 MiB) fit, two rows' (31 MiB) grew it. */
export const WASM_FREE_BYTES = 15.7 * MiB;

/** The runtime with no model: V8 heap and the wasm runtime's own memory (measured with the default model: 5.2–5.7 + 16 MiB). */
const RUNTIME_BYTES = 23 * MiB;
/** Wasm memory per byte of ONNX once the session is created: weights and the load's free space (46.6 MiB for 21.2, without prepacking). */
const WASM_PER_ONNX_BYTE = 2.2;

/** Bytes of K and V for one row at one position, fp32. */
export function kvBytesPerPosition(spec: ModelSpec): number {
  return spec.layers * spec.kvHeads * spec.headDim * F32 * 2;
}

/** A generation's shape. */
export interface RequestShape {
  /** Rows decoded as one batch (n). */
  readonly rows: number;
  /** Prompt tokens + max_tokens: the longest the cache gets. */
  readonly positions: number;
  /** Rows per session run (CausalLMOptions.rowsPerRun); all rows when absent. */
  readonly rowsPerRun?: number;
}

/** What a generation adds to the isolate, bytes. */
export interface RequestMemory {
  /** Held for its whole life, at its longest: cache, logits, heap. */
  readonly held: number;
  /** Held only while one of its runs is under way: the next slice in JS, and wasm growth past the free space. */
  readonly transient: number;
}

/** Estimated peak isolate bytes one generation adds while it runs. */
export function requestMemory(spec: ModelSpec, shape: RequestShape): RequestMemory {
  const { rows, positions } = shape;
  const b = kvBytesPerPosition(spec);
  const slice = b * positions * Math.min(rows, shape.rowsPerRun ?? rows);
  return {
    held: b * positions * rows + rows * spec.vocabSize * F32 * LOGIT_COPIES + rows * positions * HEAP_PER_TOKEN,
    transient: slice + Math.max(0, 2 * slice - WASM_FREE_BYTES),
  };
}

/** Estimated isolate bytes with the model loaded and no generation running. */
export function baselineBytes(onnxBytes: number): number {
  return RUNTIME_BYTES + WASM_PER_ONNX_BYTE * onnxBytes;
}
