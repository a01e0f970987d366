/**
 * Yield to the event loop — let I/O run between tokens.
 *
 * An onnxruntime-web (wasm) step computes synchronously and resolves as a microtask, so a decode
 * loop that only awaits model steps never lets its isolate handle anything else: in workerd a
 * client's disconnect (stream cancel) and every other request to the isolate waited until the
 * whole generation had finished. One macrotask per token fixes both. setImmediate where it exists
 * (Node: no 1 ms timer clamp), setTimeout(0) elsewhere (Workers, browsers).
 */
export function yieldToEventLoop(): Promise<void> {
  const immediate = (globalThis as { setImmediate?: (f: () => void) => unknown }).setImmediate;
  return new Promise((resolve) => (immediate ? immediate(resolve) : setTimeout(resolve, 0)));
}
