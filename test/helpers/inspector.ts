/**
 * Isolate memory through the dev inspector — what workerd's V8 reports for the Worker's isolate
 * over the Chrome DevTools Protocol. Workers' 128 MB limit covers three parts, and the inspector
 * shows each a different way:
 * - the V8 heap: `Runtime.getHeapUsage` `totalSize`;
 * - ArrayBuffers and typed arrays (the KV cache ORT hands back, the model bytes while loading):
 *   `backingStorageSize` of the same call;
 * - WebAssembly linear memory (ORT's weights and every tensor of a run), which that call leaves
 *   out and which never shrinks: read by finding every `WebAssembly.Memory` in the isolate
 *   (`Runtime.queryObjects`), which collects garbage first, so it is read after a load, not
 *   during it; being monotone, its size then is its largest during the load.
 *
 * `startMeteredWorker` starts the Worker as `wrangler dev` does (wrangler.toml, the [build] step,
 * the ASSETS binding) with its inspector on, and `sampleMemory` polls `Runtime.getHeapUsage`
 * every ~100 ms while a load runs and reports the peak, plus the wasm memory after it.
 */

import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { WebSocket } from "undici";
import { unstable_startWorker } from "wrangler";

/** One `Runtime.getHeapUsage` reading, bytes. It does not see WebAssembly memory. */
export interface HeapUsage {
  readonly usedSize: number;
  readonly totalSize: number;
  /** Memory owned by JS objects outside the V8 heap (ArrayBuffers, typed arrays; not wasm memory). */
  readonly backingStorageSize: number;
  /** totalSize + backingStorageSize: the isolate's footprint less its wasm memory. */
  readonly isolate: number;
}

export interface Inspector {
  /** Read the isolate's heap usage now. */
  heapUsage(): Promise<HeapUsage>;
  /**
   * Execution contexts announced since connecting (one for the Worker). More mean the Worker was
   * reloaded — wrangler does when its assets change — and readings span two isolates.
   */
  contextsCreated(): number;
  /** Bytes of WebAssembly linear memory in the isolate now. Collects garbage first (V8 does, to find the objects). */
  wasmMemory(): Promise<number>;
  /**
   * Force a full garbage collection. workerd never answers `HeapProfiler.collectGarbage`, so this
   * takes a heap snapshot (V8 collects all garbage first) and drops its chunks.
   */
  collectGarbage(): Promise<void>;
  close(): void;
}

/** How long a DevTools call may go unanswered before it fails, ms: workerd answers only between the isolate's tasks, and a busy decode loop can keep it waiting for tens of seconds on a loaded machine. */
const CALL_TIMEOUT_MS = 180_000;

interface CdpMessage {
  id?: number;
  method?: string;
  params?: { context?: { id: number } };
  result?: unknown;
  error?: { message: string };
}

/** Connect to a DevTools WebSocket (a target's `webSocketDebuggerUrl`). */
export async function connectInspector(url: string): Promise<Inspector> {
  // wrangler's inspector proxy accepts only local origins.
  const ws = new WebSocket(url, { headers: { Origin: "http://localhost" } });
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener("open", () => resolve(), { once: true });
    ws.addEventListener("error", () => reject(new Error(`inspector ${url}: cannot connect`)), { once: true });
  });
  let nextId = 1;
  let contextId: number | undefined;
  let contexts = 0;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  ws.addEventListener("message", (event) => {
    const msg = JSON.parse(String(event.data)) as CdpMessage;
    if (msg.method === "Runtime.executionContextCreated" && msg.params?.context) {
      contextId = msg.params.context.id;
      contexts++;
    }
    if (msg.id === undefined) return;
    const call = pending.get(msg.id);
    pending.delete(msg.id);
    if (msg.error) call?.reject(new Error(msg.error.message));
    else call?.resolve(msg.result);
  });
  // Unanswered, a call fails rather than hanging the test (workerd ignores methods it lacks).
  const send = (method: string, params: object = {}): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`inspector: ${method} unanswered after ${CALL_TIMEOUT_MS} ms`));
      }, CALL_TIMEOUT_MS);
      pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      ws.send(JSON.stringify({ id, method, params }));
    });
  // Evaluating needs the Worker's context, which workerd names only to a client that enabled Runtime.
  await send("Runtime.enable");
  type Remote = { result: { objectId?: string; value?: unknown } };
  return {
    async heapUsage() {
      const r = (await send("Runtime.getHeapUsage")) as { usedSize: number; totalSize: number; backingStorageSize?: number };
      const backingStorageSize = r.backingStorageSize ?? 0;
      return { usedSize: r.usedSize, totalSize: r.totalSize, backingStorageSize, isolate: r.totalSize + backingStorageSize };
    },
    contextsCreated: () => contexts,
    async wasmMemory() {
      if (contextId === undefined) throw new Error("inspector: the Worker's execution context was never announced");
      const proto = (await send("Runtime.evaluate", { expression: "WebAssembly.Memory.prototype", contextId })) as Remote;
      const found = (await send("Runtime.queryObjects", { prototypeObjectId: proto.result.objectId })) as { objects: { objectId: string } };
      const sum = (await send("Runtime.callFunctionOn", {
        objectId: found.objects.objectId,
        functionDeclaration: "function () { return this.reduce((bytes, memory) => bytes + memory.buffer.byteLength, 0); }",
        returnByValue: true,
      })) as Remote;
      await send("Runtime.releaseObjectGroup", { objectGroup: "" }).catch(() => undefined);
      return sum.result.value as number;
    },
    async collectGarbage() {
      await send("HeapProfiler.takeHeapSnapshot", { reportProgress: false });
    },
    close: () => ws.close(),
  };
}

/** The peak of a sampled run, bytes, and how many readings it took. */
export interface MemoryPeak {
  /** The heap reading with the largest `isolate` (heap + ArrayBuffers). */
  readonly peak: HeapUsage;
  readonly samples: number;
  /** WebAssembly memory after the load: never shrinking, it is its largest during the load. */
  readonly wasm: number;
  /** peak.isolate + wasm: an upper bound on the isolate's footprint during the load, all three parts. */
  readonly isolatePeak: number;
}

/**
 * Run `load` while reading the heap every `intervalMs`; the peak is the reading with the largest
 * heap + ArrayBuffer footprint, including one before and one after the load; the wasm memory is
 * read once the load is over.
 */
export async function sampleMemory<T>(inspector: Inspector, load: () => Promise<T>, intervalMs = 100): Promise<{ result: T } & MemoryPeak> {
  const contexts = inspector.contextsCreated();
  let peak = await inspector.heapUsage();
  let samples = 1;
  let done = false;
  const sampler = (async () => {
    while (!done) {
      await new Promise((r) => setTimeout(r, intervalMs));
      const u = await inspector.heapUsage();
      samples++;
      if (u.isolate > peak.isolate) peak = u;
    }
  })();
  let result: T;
  try {
    result = await load();
  } finally {
    done = true;
    await sampler;
  }
  const last = await inspector.heapUsage();
  if (last.isolate > peak.isolate) peak = last;
  const wasm = await inspector.wasmMemory();
  if (inspector.contextsCreated() !== contexts) throw new Error("the Worker was reloaded during the measurement (were its assets rebuilt?): the readings span two isolates");
  return { result, peak, samples: samples + 1, wasm, isolatePeak: peak.isolate + wasm };
}

/** Bytes as MiB with one decimal. */
export const mib = (bytes: number): number => Math.round((bytes / 2 ** 20) * 10) / 10;

export interface MeteredWorker {
  readonly url: URL;
  readonly inspector: Inspector;
  fetch(path: string, init?: RequestInit): Promise<Response>;
  dispose(): Promise<void>;
}

/**
 * Start the Worker from wrangler.toml in workerd with its inspector on a free port and connect
 * to the Worker's isolate. `vars` override [vars] (strings, as wrangler.toml has them).
 *
 * Its assets are built here, once, into a directory of its own, and wrangler runs no [build]
 * step: with one, wrangler watches `watch_dir` (src/ …) whatever `watch` says, and rebuilds and
 * reloads the Worker on any edit there or on any other process's rebuild of `.assets/` — which
 * mid-measurement swaps the isolate under the inspector. An edit to a file the Worker imports
 * still reloads it (seen with wrangler 4.86, `watch: false` notwithstanding): compare
 * `inspector.contextsCreated()` before and after, as `sampleMemory` does.
 */
export async function startMeteredWorker(vars: Record<string, string> = {}): Promise<MeteredWorker> {
  // Miniflare would otherwise fetch Request.cf metadata from the network at start.
  process.env["CLOUDFLARE_CF_FETCH_ENABLED"] = "false";
  const assets = await mkdtemp(join(tmpdir(), "isentropic-assets-"));
  const removeAssets = () => rm(assets, { recursive: true, force: true, maxRetries: 5 });
  await promisify(execFile)(process.execPath, ["scripts/build-assets.mjs", "--out", assets]).catch(async (err: unknown) => {
    await removeAssets();
    throw err;
  });
  const worker = await unstable_startWorker({
    config: "wrangler.toml",
    assets,
    // An empty command (not an absent one, which falls back to wrangler.toml's) turns the [build] step off.
    build: { custom: { command: "" } },
    bindings: Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, { type: "plain_text" as const, value: v }])),
    sendMetrics: false,
    dev: { server: { hostname: "127.0.0.1", port: 0 }, inspector: { hostname: "127.0.0.1", port: 0 }, watch: false, persist: false, logLevel: "warn" },
  });
  try {
    const [url, inspectorUrl] = await Promise.all([worker.url, worker.inspectorUrl]);
    if (!inspectorUrl) throw new Error("wrangler started the Worker without an inspector");
    const targets = (await (await fetch(new URL("/json", inspectorUrl.href.replace(/^ws/, "http")))).json()) as { webSocketDebuggerUrl: string }[];
    const target = targets[0];
    if (!target) throw new Error(`the inspector at ${inspectorUrl.href} lists no Worker`);
    const inspector = await connectInspector(target.webSocketDebuggerUrl);
    return {
      url,
      inspector,
      fetch: (path, init) => fetch(new URL(path, url), init),
      async dispose() {
        inspector.close();
        await worker.dispose();
        await removeAssets();
      },
    };
  } catch (err) {
    await worker.dispose();
    await removeAssets();
    throw err;
  }
}
