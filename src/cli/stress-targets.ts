/**
 * Stress targets — the two servers the stress suite runs against, each on a loopback port with
 * a meter for its memory: the Worker in workerd (wrangler's `unstable_startWorker`, as
 * `wrangler dev` runs it), metered per isolate through the dev inspector
 * (test/helpers/inspector.ts); and the Node server (src/node-server.ts in a child process),
 * metered per process: its RSS from /proc and its V8 heap through its own inspector.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { unstable_readConfig } from "wrangler";
import { connectInspector, type HeapUsage, type Inspector, sampleMemory, startMeteredWorker } from "../../test/helpers/inspector.js";
import { type Limits, limitsFromVars } from "../http/limits.js";
import type { TargetName } from "./stress-options.js";

/** Memory of a server: what its figures are about, and how to read them. */
export interface Meter {
  /** "isolate" (the Worker's V8 isolate, what Workers' memory limit is about) or "process" (the whole Node process). */
  readonly scope: "isolate" | "process";
  /** What each figure is, e.g. ["isolate", "V8 heap", "backing stores"]; the first is the headline. */
  readonly columns: readonly string[];
  /** The figures now, after a full garbage collection, bytes. */
  settled(): Promise<number[]>;
  /** The peak figures while `load` runs, bytes. */
  peakWhile<T>(load: () => Promise<T>): Promise<{ result: T; peak: number[] }>;
}

/** A server under test. */
export interface Target {
  readonly name: TargetName;
  /** Its base URL on the loopback interface. */
  readonly url: URL;
  /** The limits it runs with. */
  readonly limits: Limits;
  readonly meter?: Meter;
  dispose(): Promise<void>;
}

/** The Worker's [vars] (or the Node server's environment) that a stress run overrides. */
export type Vars = Readonly<Record<string, string>>;

/**
 * The Worker from wrangler.toml in workerd, `vars` over its [vars], with its isolate metered:
 * the V8 heap and ArrayBuffers from `Runtime.getHeapUsage`, sampled during a load, and the wasm
 * linear memory, which, never shrinking, is read after the load.
 */
export async function startWorkerd(vars: Vars): Promise<Target> {
  const worker = await startMeteredWorker({ ...vars });
  const { inspector } = worker;
  const configured = unstable_readConfig({ config: "wrangler.toml" }).vars as Record<string, unknown>;
  // The helper's isolatePeak: heap and ArrayBuffers at their sampled peak plus the wasm memory after.
  const figures = (u: HeapUsage, wasm: number) => [u.isolate + wasm, u.totalSize, u.backingStorageSize, wasm];
  return {
    name: "workerd",
    url: worker.url,
    limits: limitsFromVars({ ...configured, ...vars }),
    meter: {
      scope: "isolate",
      columns: ["heap + ArrayBuffers + wasm", "V8 heap", "ArrayBuffers", "wasm memory"],
      async settled() {
        await inspector.collectGarbage();
        return figures(await inspector.heapUsage(), await inspector.wasmMemory());
      },
      async peakWhile(load) {
        const { result, peak, wasm } = await sampleMemory(inspector, load);
        return { result, peak: figures(peak, wasm) };
      },
    },
    dispose: () => worker.dispose(),
  };
}

/** The last 64 kB a child wrote to each stream, kept while it runs (so its pipes never fill). */
function tailOf(child: ChildProcess): { stdout: string; stderr: string } {
  const tail = { stdout: "", stderr: "" };
  for (const stream of ["stdout", "stderr"] as const) {
    child[stream]!.on("data", (data: Buffer) => {
      tail[stream] = (tail[stream] + data.toString()).slice(-65_536);
    });
  }
  return tail;
}

/** The first match of `pattern` in what the child wrote; rejects when it exits or `ms` pass first. */
async function waitForOutput(child: ChildProcess, tail: { stdout: string; stderr: string }, pattern: RegExp, ms: number): Promise<RegExpExecArray> {
  const deadline = Date.now() + ms;
  for (;;) {
    const match = pattern.exec(tail.stdout) ?? pattern.exec(tail.stderr);
    if (match) return match;
    if (child.exitCode !== null) throw new Error(`the Node server exited with code ${child.exitCode}: ${tail.stderr.slice(-500)}`);
    if (Date.now() > deadline) throw new Error(`the Node server printed no ${pattern} within ${ms} ms: ${tail.stderr.slice(-500)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** RSS now and its peak since the last reset (VmHWM), bytes, from /proc. */
function rssOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN) * 1024;
  return { rss: kib("VmRSS"), peak: kib("VmHWM") };
}

/** The process meter of the Node server: RSS, with a peak that is reset per load, and the V8 heap. */
function processMeter(pid: number, inspector: Inspector): Meter {
  return {
    scope: "process",
    columns: ["RSS", "V8 heap + ArrayBuffers"],
    async settled() {
      await inspector.collectGarbage();
      return [rssOf(pid).rss, (await inspector.heapUsage()).isolate];
    },
    async peakWhile(load) {
      // Writing 5 to clear_refs resets VmHWM to the current RSS (Linux 4.0+), so the peak is this load's.
      writeFileSync(`/proc/${pid}/clear_refs`, "5");
      const { result, peak } = await sampleMemory(inspector, load);
      return { result, peak: [rssOf(pid).peak, peak.isolate] };
    },
  };
}

/**
 * `npm run start:node`'s server (the asset tree must be built) in a child process on a free
 * port, `vars` in its environment, with its inspector on so that its heap can be read.
 */
export async function startNodeServer(vars: Vars): Promise<Target> {
  const child = spawn(process.execPath, ["--import", "tsx", "--inspect=127.0.0.1:0", "src/node-server.ts"], {
    env: { ...process.env, ...vars, PORT: "0", HOST: "127.0.0.1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const tail = tailOf(child);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    child.kill("SIGTERM");
    await exited;
  };
  try {
    const listening = await waitForOutput(child, tail, /listening on (http:\/\/\S+)/, 120_000);
    const debugging = await waitForOutput(child, tail, /Debugger listening on (ws:\/\/\S+)/, 1000);
    const inspector = await connectInspector(debugging[1]!);
    return {
      name: "node",
      url: new URL(listening[1]!),
      limits: limitsFromVars({ ...process.env, ...vars }),
      meter: processMeter(child.pid!, inspector),
      async dispose() {
        inspector.close();
        await stop();
      },
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
