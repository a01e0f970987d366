/**
 * The Worker in workerd (wrangler's `unstable_startWorker`, as test/worker.test.ts starts it)
 * against the engine in Node: cold start to first token, tokens/s streamed and not, and the
 * memory of the workerd process.
 *
 * wrangler reports ready once its dev proxy is up; the Worker's own workerd process starts after
 * that, compiles the wasm module while it loads the script (with no timing exposed) and loads the
 * model on the first request. So cold start is timed to the first streamed token and split where
 * that process appears; and since workerd exposes no per-isolate memory, memory is the RSS of the
 * Worker's workerd process read from /proc.
 */
import { readdirSync, readFileSync } from "node:fs";
import { unstable_startWorker } from "wrangler";
import type { Catalog } from "../control/catalog.js";
import type { Model } from "../model/model.js";
import { EXACT_UNPROBED, timeGenerate, type Workload } from "./bench-engine.js";
import { type Fact, type Measurement, measure } from "./bench-measurement.js";
import { formatNumber } from "./bench-report.js";
import { interleave } from "./bench-stats.js";

const MODE = EXACT_UNPROBED(1);

/** Pids of every descendant of `root` whose command name is `name` (Linux /proc). */
function descendantsNamed(root: number, name: string): number[] {
  const parent = new Map<number, number>();
  const comm = new Map<number, string>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      comm.set(Number(entry), stat.slice(stat.indexOf("(") + 1, close));
      parent.set(Number(entry), Number(stat.slice(close + 2).split(" ")[1]));
    } catch {
      // the process exited while we looked
    }
  }
  const isDescendant = (pid: number): boolean => {
    for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p)) if (p === root) return true;
    return false;
  };
  return [...comm].filter(([pid, c]) => c === name && isDescendant(pid)).map(([pid]) => pid);
}

/** VmRSS and VmHWM (peak) of a process, MiB. */
function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
  return { rss: kib("VmRSS") / 1024, peak: kib("VmHWM") / 1024 };
}

interface Completion {
  readonly tokens: number;
  /** Milliseconds from sending the request to the first token. */
  readonly firstToken: number;
  readonly total: number;
}

/** Send one completion and read it to the end; streamed responses are timed to their first token. */
async function complete(fetcher: (url: string, init: RequestInit) => Promise<Response>, body: Record<string, unknown>, stream: boolean): Promise<Completion> {
  const started = performance.now();
  const res = await fetcher("http://worker/v1/completions", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ ...body, stream, ...(stream ? { stream_options: { include_usage: true }, telemetry: true } : {}) }),
  });
  if (res.status !== 200) throw new Error(`workerd answered ${res.status}: ${await res.text()}`);
  if (!stream) {
    const out = (await res.json()) as { usage: { completion_tokens: number } };
    const total = performance.now() - started;
    return { tokens: out.usage.completion_tokens, firstToken: total, total };
  }
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  let firstToken = NaN;
  let tokens = NaN;
  for (let r = await reader.read(); !r.done; r = await reader.read()) {
    buffered += r.value;
    const events = buffered.split("\n\n");
    buffered = events.pop()!;
    for (const e of events) {
      if (!e.startsWith("data: {")) continue;
      const chunk = JSON.parse(e.slice(6)) as { choices: { telemetry?: unknown[] }[]; usage?: { completion_tokens: number } };
      if (Number.isNaN(firstToken) && (chunk.choices[0]?.telemetry?.length ?? 0) > 0) firstToken = performance.now() - started;
      if (chunk.usage) tokens = chunk.usage.completion_tokens;
    }
  }
  return { tokens, firstToken, total: performance.now() - started };
}

export interface WorkerdResult {
  readonly measurements: Measurement[];
  readonly facts: Fact[];
  readonly notes: string[];
}

/**
 * Start the Worker, time its cold start, then interleave workerd (JSON and SSE) with the engine
 * in Node on onnxruntime-node and on onnxruntime-web's wasm (`wasm`: the Worker's runtime, loaded
 * in Node from the same bytes the Worker precompiles).
 */
export async function benchWorkerd(nodeModel: Model, wasm: { model: Model; bytes: Uint8Array<ArrayBuffer> }, catalog: Catalog, prompt: string, w: Workload): Promise<WorkerdResult> {
  // Miniflare would otherwise fetch Request.cf metadata from the network at start.
  process.env["CLOUDFLARE_CF_FETCH_ENABLED"] = "false";
  const compileStarted = performance.now();
  await WebAssembly.compile(wasm.bytes);
  const compileMs = performance.now() - compileStarted;

  const started = performance.now();
  const worker = await unstable_startWorker({
    config: "wrangler.toml",
    sendMetrics: false,
    dev: { server: { hostname: "127.0.0.1", port: 0 }, inspector: false, watch: false, persist: false, logLevel: "warn" },
  });
  try {
    await worker.ready;
    const readyMs = performance.now() - started;
    // At ready only wrangler's dev-proxy workerd runs; the Worker's own workerd is spawned
    // afterwards, by the time the first request reaches it. Watch /proc for it meanwhile
    // (the poll waits whenever wrangler blocks the event loop, so its time is an upper bound).
    const proxies = new Set(descendantsNamed(process.pid, "workerd"));
    let workerPid: number | undefined;
    let spawnMs = NaN;
    const watch = setInterval(() => {
      workerPid ??= descendantsNamed(process.pid, "workerd").find((p) => !proxies.has(p));
      if (workerPid !== undefined && Number.isNaN(spawnMs)) spawnMs = performance.now() - started;
    }, 20);
    const fetcher = (url: string, init: RequestInit) => worker.fetch(url, init as never) as unknown as Promise<Response>;
    const body = { model: nodeModel.name, prompt, max_tokens: w.tokens, seed: w.seed, entropy: MODE.entropy };
    const coldSent = performance.now() - started;
    const cold = await complete(fetcher, body, true);
    clearInterval(watch);
    const warm = await complete(fetcher, body, true);
    const loaded = workerPid !== undefined ? memoryOf(workerPid) : undefined;

    const rate = (c: Completion) => (c.tokens * 1000) / c.total;
    const engine = (model: Model) => async () => (w.tokens * 1000) / (await timeGenerate(model, catalog, MODE, w));
    const [json, sse, native, web] = await interleave(w.rounds, [
      async () => rate(await complete(fetcher, body, false)),
      async () => rate(await complete(fetcher, body, true)),
      engine(nodeModel),
      engine(wasm.model),
    ]);
    const final = workerPid !== undefined ? memoryOf(workerPid) : undefined;
    const head = (key: string, what: string) => ({ key, group: "workerd", what, unit: "tokens/s" });
    const wasmArm = { label: "Node engine, onnxruntime-web wasm", values: web! };
    const nativeArm = { label: "Node engine, onnxruntime-node", values: native! };
    const measurements = [
      measure(head("workerd.json", `workerd (JSON) / Node engine on onnxruntime-node, exact, ${cold.tokens} tokens`), { label: "workerd, non-streamed", values: json! }, nativeArm),
      measure(head("workerd.sse", "workerd (SSE) / Node engine on onnxruntime-node"), { label: "workerd, streamed", values: sse! }, nativeArm),
      measure(head("workerd.wasm", "workerd (JSON) / Node engine on onnxruntime-web wasm (same runtime)"), { label: "workerd, non-streamed", values: json! }, wasmArm),
    ];
    const fact = (key: string, what: string, value: number, unit: string): Fact => ({ key, group: "workerd", what, value, unit });
    const firstMs = coldSent + cold.firstToken;
    const facts = [
      fact("coldstart.ready", "start → wrangler ready (bundle, build assets, dev proxy up)", readyMs, "ms"),
      fact("coldstart.spawn", "start → the Worker's workerd process appears (polled)", spawnMs, "ms"),
      fact("coldstart.total", "start → first streamed token, including wasm compilation", firstMs, "ms"),
      fact("coldstart.process", "Worker's workerd appears → first streamed token (boot, script load with wasm compilation, model from ASSETS, ORT init, session, prefill)", firstMs - spawnMs, "ms"),
      fact("coldstart.nowasm", "the same, less the wasm compilation (V8 compile time measured in Node: an estimate)", firstMs - spawnMs - compileMs, "ms"),
      fact("wasm.compile", "V8 compile of ort-wasm-simd-threaded.wasm in Node (the same engine as workerd)", compileMs, "ms"),
      fact("warm.first", "warm request → first streamed token", warm.firstToken, "ms"),
    ];
    const notes = [
      `workerd answered ${cold.tokens} of ${w.tokens} tokens (the Worker stops at EOS; rates use the tokens it sent)`,
      "Cold start: workerd compiles the wasm module while it loads the Worker's script and exposes no timing for it, so the " +
        "split excluding wasm compilation subtracts the V8 compile time of the same module measured in Node; it is not measured in workerd.",
    ];
    if (loaded && final) {
      facts.push(
        fact("memory.loaded", "Worker's workerd RSS after two completions (model loaded)", loaded.rss, "MiB"),
        fact("memory.end", "Worker's workerd RSS at the end of the run", final.rss, "MiB"),
        fact("memory.peak", "Worker's workerd peak RSS (VmHWM)", final.peak, "MiB"),
      );
      const proxy = [...proxies].filter((p) => p !== workerPid).map((p) => `${formatNumber(memoryOf(p).rss)} MiB`);
      notes.push(
        "workerd exposes no per-isolate memory: memory.* are the RSS of the Worker's workerd process (runtime + its one isolate, " +
          "with onnxruntime-web's wasm heap and the model bytes) from /proc" +
          (proxy.length > 0 ? `; wrangler's dev-proxy workerd, not counted, held ${proxy.join(", ")}` : ""),
      );
    } else {
      notes.push("the Worker's workerd process was not found under /proc: memory not measured");
    }
    return { measurements, facts, notes };
  } finally {
    await worker.dispose();
  }
}
