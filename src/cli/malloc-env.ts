/**
 * glibc malloc settings for decoding with a KV cache in Node, applied by re-running the process.
 *
 * Each decode step allocates the whole cache again (onnxruntime concatenates past and new keys
 * into fresh `present` tensors, and the binding copies them into fresh ArrayBuffers): at B = 30
 * rows and 1000 positions, eight tensors of ~31 MB per step. glibc serves blocks that large with
 * mmap and unmaps them on free, so every step page-faults ~250 MB back in; on this 2-core VM a
 * step at 1000 positions took ~330 ms in onnxruntime alone. Raising the mmap threshold to its
 * maximum (32 MiB) and never trimming keeps those blocks in the heap for reuse: ~105 ms.
 *
 * One arena: the binding runs each session on a libuv worker thread, and glibc gives each thread
 * its own arena, whose heaps are never trimmed at that threshold either. With blocks that grow
 * every step and two sessions decoding 1000-token episodes side by side, those arenas fragmented
 * until the kernel killed the process (an eval of 10 × 1000 tokens: 24 GiB in 4 minutes; one
 * fixed-T arm of 2 × 1000: 16 GiB after 110 s, half done). In one arena freed blocks coalesce and
 * are reused: the same arm peaks at 2.9 GiB and finishes in 109 s.
 * glibc reads these only at process start, hence the re-run, which also exposes V8's collector
 * (--expose-gc) so that rollouts can free each step's cache buffers as they go (fit/rollout.ts).
 */
import { spawnSync } from "node:child_process";

const SETTINGS: Record<string, string> = {
  MALLOC_ARENA_MAX: "1",
  MALLOC_MMAP_THRESHOLD_: String(32 * 1024 * 1024),
  MALLOC_TRIM_THRESHOLD_: String(4 * 1024 * 1024 * 1024),
};

/**
 * On Linux, when the settings are absent, re-run this process with them and exit with its
 * status; otherwise return and let the caller continue.
 */
export function rerunWithMallocSettings(): void {
  if (process.platform !== "linux" || Object.keys(SETTINGS).every((k) => process.env[k] !== undefined)) return;
  const child = spawnSync(process.execPath, ["--expose-gc", ...process.execArgv, ...process.argv.slice(1)], { stdio: "inherit", env: { ...process.env, ...SETTINGS } });
  process.exit(child.status ?? 1);
}
