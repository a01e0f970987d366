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
 * old) plus the run's tensors in wasm memory: its input and output, 2·c·P·b, and with a float16
 * cache the graph's float32 widening too (measured: growth of 5.5 MiB past the load's slack for
 * a 1005-position q8 row, counted as 4·c·P·b). They reuse the space the model's load left free in
 * wasm memory and grow it only past that; wasm memory never shrinks, so an idle isolate that has
 * run the largest row holds that growth too. Runs of different generations never overlap (wasm
 * runs one at a time), so the gate counts the largest transient once.
 *
 * Measured in workerd through the inspector (test/worker-memory.test.ts), fp32: idle with the
 * model loaded, 5.2 MiB of heap + 62.6 MiB of wasm memory; four n = 1 × 1000-token generations
 * at once peaked at 109.4 MiB, where this model says 116.9; n = 8 × 1000 at 152.9 MiB, where it
 * says 156.5. q8 (int8 weights, float16 cache): 5.2 + 27.8 MiB idle; 4 × n = 1 × 1000 peaked at
 * 64.6 MiB and n = 8 × 1000 at 82.4 MiB, where this model says 74.7 and 98.5.
 */
import type { ModelSpec } from "./config.js";

const MiB = 2 ** 20;
/** Bytes of one float32. */
const F32 = 4;
/** Copies of a step's logits alive at once (the runtime's output, the batch, the sampler's scratch). */
const LOGIT_COPIES = 4;
/** V8 heap per generated token, bytes: its event, text and share of the answer (measured: 1.9 KiB). */
export const HEAP_PER_TOKEN = 2048;
/**
 * Share of the load's slack in wasm memory ((WASM_PER_ONNX_BYTE - 1) bytes per ONNX byte) a run
 * may count on: for fp32 (25 MiB of slack) a 1005-position row's 15.7 MiB fit, two rows' 31 grew it.
 */
const WASM_SLACK_USABLE = 0.62;

/** The runtime with no model: V8 heap and the wasm runtime's own memory (measured with the default model: 5.2–5.7 + 16 MiB). */
const RUNTIME_BYTES = 23 * MiB;
/** Wasm memory per byte of ONNX once the session is created: weights and the load's free space (46.6 MiB for 21.2 fp32, 11.8 for 5.5 q8; without prepacking). */
const WASM_PER_ONNX_BYTE = 2.2;

/** Wasm memory the model's load leaves free for a run's tensors, bytes, for an ONNX file of `onnxBytes`. */
export function wasmFreeBytes(onnxBytes: number): number {
  return (WASM_PER_ONNX_BYTE - 1) * onnxBytes * WASM_SLACK_USABLE;
}

/** Bytes of K and V for one row at one position, at `elementBytes` per value (4 for float32, 2 for float16). */
export function kvBytesPerPosition(spec: ModelSpec, elementBytes = F32): number {
  return spec.layers * spec.kvHeads * spec.headDim * elementBytes * 2;
}

/** A generation's shape. */
export interface RequestShape {
  /** Rows decoded as one batch (n). */
  readonly rows: number;
  /** Prompt tokens + max_tokens: the longest the cache gets. */
  readonly positions: number;
  /** Rows per session run (CausalLMOptions.rowsPerRun); all rows when absent. */
  readonly rowsPerRun?: number;
  /** Bytes per cached value: 4 (float32, the default) or 2 (a float16 cache). */
  readonly kvElementBytes?: number;
  /** Wasm memory free for a run's tensors (wasmFreeBytes of the ONNX file); 0 when absent. */
  readonly wasmFreeBytes?: number;
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
  const b = kvBytesPerPosition(spec, shape.kvElementBytes);
  const slice = b * positions * Math.min(rows, shape.rowsPerRun ?? rows);
  // In wasm a run holds its input and its output; a float16 cache also the graph's float32 widening.
  const inWasm = (shape.kvElementBytes ?? F32) < F32 ? 4 * slice : 2 * slice;
  return {
    held: b * positions * rows + rows * spec.vocabSize * F32 * LOGIT_COPIES + rows * positions * HEAP_PER_TOKEN,
    transient: slice + wasmGrowth(inWasm, shape.wasmFreeBytes ?? 0),
  };
}

/** How far a run's `bytes` of tensors grow wasm memory past what is free. */
function wasmGrowth(bytes: number, free: number): number {
  return Math.max(0, bytes - free);
}

/** Estimated isolate bytes with the model loaded and no generation running. */
export function baselineBytes(onnxBytes: number): number {
  return RUNTIME_BYTES + WASM_PER_ONNX_BYTE * onnxBytes;
}
