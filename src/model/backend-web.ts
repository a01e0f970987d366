/**
 * Web backend — onnxruntime-web's wasm build, for Cloudflare Workers (workerd), browsers and
 * Node tests alike.
 *
 * workerd refuses to compile WebAssembly from bytes at run time; it only instantiates modules
 * that were compiled at deploy time (a `.wasm` import). onnxruntime-web has no hook for a
 * precompiled module, so while it initialises, `WebAssembly.instantiate` is served from the
 * module passed in here and restored afterwards. Single-threaded (no SharedArrayBuffer in
 * Workers) and no proxy worker.
 */
import * as ortWeb from "onnxruntime-web/wasm";
import { loadModel, type Model, type ModelFiles } from "./model.js";
import type { OrtModule } from "./ort.js";

export interface WasmSource {
  /** Precompiled ort-wasm-simd-threaded.wasm (workerd: a `.wasm` module import). */
  readonly module?: WebAssembly.Module;
  /** Or its bytes, where the runtime may compile them (Node, browsers). */
  readonly bytes?: Uint8Array;
}

let initialised: Promise<void> | undefined;

async function initialise(wasm: WasmSource): Promise<void> {
  ortWeb.env.wasm.numThreads = 1;
  ortWeb.env.wasm.proxy = false;
  if (wasm.bytes) {
    ortWeb.env.wasm.wasmBinary = wasm.bytes;
    return;
  }
  const module = wasm.module;
  if (!module) throw new Error("web backend needs the onnxruntime wasm as a module or bytes");
  // Any non-empty binary stops ORT from fetching the file; the patched instantiate ignores it.
  ortWeb.env.wasm.wasmBinary = new Uint8Array(8);
  const original = WebAssembly.instantiate;
  const fromModule = async (_bytes: unknown, imports?: WebAssembly.Imports) => ({
    module,
    instance: await original(module, imports),
  });
  (WebAssembly as { instantiate: unknown }).instantiate = fromModule;
  try {
    // Creating a throwaway session is the only public way to force ORT's wasm initialisation.
    await ortWeb.InferenceSession.create(new Uint8Array(0)).catch(() => undefined);
  } finally {
    (WebAssembly as { instantiate: unknown }).instantiate = original;
  }
}

/** Execution providers for this runtime: WebGPU where `navigator.gpu` exists, else wasm. */
export function executionProviders(): string[] {
  const nav = (globalThis as { navigator?: { gpu?: unknown } }).navigator;
  return nav?.gpu ? ["webgpu", "wasm"] : ["wasm"];
}

/**
 * Rows per session run. onnxruntime-web copies every input into its wasm memory and every output
 * out of it, so a run holds its cache three times (the JS input, its wasm copy, the wasm output)
 * plus the JS output; and wasm memory never shrinks. One row per run keeps those copies at one
 * row's cache: for n = 8 at 1000 positions wasm memory stays at its size after load (75 MiB, with
 * prepacked weights) instead of growing to 187 MiB (measured on this wasm). The logits are bitwise the same (tested); a step
 * costs about the same (34–53 ms for n = 8 either way, on 2 busy cores).
 */
export const WEB_ROWS_PER_RUN = 1;

/**
 * Session options on onnxruntime-web. Prepacking (a second, kernel-shaped copy of every matrix
 * weight) is off: in wasm memory, which never shrinks, it cost 12.5 MiB of the isolate's 128 MB
 * (75.1 MiB after load with it, 62.6 without), for steps 10–15 % faster; the logits move by about
 * 1e-6.
 */
export function webSessionOptions(): Record<string, unknown> {
  return { executionProviders: executionProviders(), graphOptimizationLevel: "all", extra: { session: { disable_prepacking: "1" } } };
}

/** Load a model on onnxruntime-web. The wasm runtime is initialised once per isolate. */
export async function loadWebModel(files: ModelFiles, wasm: WasmSource): Promise<Model> {
  initialised ??= initialise(wasm).catch((e: unknown) => {
    initialised = undefined;
    throw e;
  });
  await initialised;
  return loadModel(ortWeb as unknown as OrtModule, files, webSessionOptions(), { rowsPerRun: WEB_ROWS_PER_RUN });
}
