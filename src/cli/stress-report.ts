/**
 * Stress report — the checks `npm run stress` judges each server by, and the docs/reliability.md
 * it writes: the checks, then each scenario's figures per server, the machine and the commit.
 * Pure.
 */
import type { StressPlan, TargetName } from "./stress-options.js";
import { CONNECTION_LOST, DROPPED_TOKENS, type DroppedResult, type MalformedResult, type ShapeResult, type SoakResult, type StreamsResult, shapeText } from "./stress-scenarios.js";

/** What one server did in every scenario, with what its memory figures are. */
export interface TargetRun {
  readonly target: TargetName;
  /** The variables the run set over the server's own ([vars] or environment). */
  readonly vars: Readonly<Record<string, string>>;
  /** From start until the server answered its first generation, s (model load included). */
  readonly startSeconds: number;
  readonly memory?: { readonly scope: "isolate" | "process"; readonly columns: readonly string[] };
  readonly soak: SoakResult;
  readonly shapes: readonly ShapeResult[];
  readonly streams: StreamsResult;
  readonly dropped: DroppedResult;
  readonly malformed: MalformedResult;
}

export interface StressRun {
  readonly command: string;
  readonly machine: readonly string[];
  readonly plan: StressPlan;
  readonly runs: readonly TargetRun[];
  readonly seconds: number;
}

export interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

/** How long after their drop the slots of dropped streams must all be free: the idle limit and 5 s. */
export const slotLimitMs = (idleMs: number): number => idleMs + 5000;

const s1 = (seconds: number) => `${seconds.toFixed(1)} s`;
/** " (31 × 429 memory_budget_exceeded)" for the streams refused after the drops; "" when none was. */
const refusedText = (refused: Readonly<Record<string, number>>) => {
  const parts = Object.entries(refused).map(([why, n]) => `${n} × ${why}`);
  return parts.length > 0 ? ` (${parts.join(", ")})` : "";
};
/** Bytes as MiB with one decimal. */
export const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

/** The checks a server's run must pass; `npm run stress` exits 1 when one fails. */
export function checksOf(run: TargetRun, plan: StressPlan): Check[] {
  const { streams, malformed, dropped, soak, shapes } = run;
  const failures = Object.values(malformed.failures).reduce((a, b) => a + (b ?? 0), 0);
  const fivexx = Object.entries(malformed.statuses).reduce((n, [status, count]) => n + (Number(status) >= 500 ? count : 0), 0);
  // A shape is a well-formed request, so a 400 can only be the memory budget's "could never fit" (naming n or max_tokens), and a 429 its "not now".
  const unanswered = shapes.flatMap((s) => s.statuses).filter((status) => status !== 200 && status !== 429 && status !== 400);
  return [
    {
      name: `${plan.streams} concurrent streams: 0 lost, 0 mixed against each replayed alone`,
      ok: streams.ok === streams.streams && streams.streams === plan.streams,
      detail: `${streams.ok} of ${streams.streams} whole and unmixed; ${streams.lost} lost, ${streams.mixed} mixed, ${streams.rejected} refused (429)`,
    },
    {
      name: `${plan.malformed} malformed requests: 0 × 5xx, every error JSON naming its field`,
      ok: failures === 0 && malformed.requests === plan.malformed,
      detail: `${fivexx} × 5xx (or no answer), ${failures - (malformed.failures["5xx"] ?? 0)} other failures`,
    },
    {
      name: `${plan.dropped} streams dropped by the client: every slot back within ${s1(slotLimitMs(plan.idleMs) / 1000)}`,
      ok: dropped.slotsBackMs !== null && dropped.after === 200 && dropped.admitted === dropped.capacity,
      detail: `${dropped.slotsBackMs === null ? "slots still held" : `free after ${s1(dropped.slotsBackMs / 1000)}`}; a request after: ${dropped.after}; ${dropped.admitted} of ${dropped.capacity} slots taken at once after${refusedText(dropped.refused)}`,
    },
    { name: `${plan.soak}-request soak: every request answered whole`, ok: soak.failures === 0, detail: `${soak.failures} failed` },
    {
      name: "request shapes: every request answered (200; 429 or 400 when the memory budget refuses it)",
      ok: unanswered.length === 0,
      detail: unanswered.length === 0 ? `${shapes.length} shapes` : `answered ${unanswered.join(", ")}`,
    },
  ];
}

const row = (cells: readonly (string | number)[]) => `| ${cells.join(" | ")} |`;
const head = (cells: readonly string[]) => [row(cells), row(cells.map(() => "---"))];
const statusesText = (statuses: Readonly<Record<string, number>>) =>
  Object.entries(statuses)
    .map(([s, n]) => `${Number(s) === CONNECTION_LOST ? "no answer" : s}: ${n}`)
    .join(", ");
const latency = (w: SoakResult["first"]) => `${w.median.toFixed(0)} / ${w.p90.toFixed(0)} ms`;

function checksTable(run: StressRun): string[] {
  const checks = run.runs.map((r) => checksOf(r, run.plan));
  const names = checks[0]?.map((c) => c.name) ?? [];
  return [...head(["check", ...run.runs.map((r) => r.target)]), ...names.map((name, i) => row([name, ...checks.map((cs) => `${cs[i]!.ok ? "ok" : "**FAIL**"}: ${cs[i]!.detail}`)]))];
}

function memoryCells(run: TargetRun, figures: readonly number[] | undefined): string {
  if (!run.memory || !figures) return "not measured";
  return run.memory.columns.map((c, i) => `${c} ${mib(figures[i]!)}`).join(", ");
}

function shapeTable(run: TargetRun): string[] {
  return [
    `**${run.target}** (${run.memory?.scope ?? "no"} memory)`,
    "",
    ...head(["shape", `${run.memory ? headline(run.memory) : "memory"} before`, "peak", "answers", "time"]),
    ...run.shapes.map((s) =>
      row([
        shapeText(s.shape),
        s.before ? mib(s.before[0]!) : "",
        s.peak ? `**${mib(s.peak[0]!)}** (${memoryCells(run, s.peak)})` : "not measured",
        [...new Set(s.statuses)].map((st) => `${s.statuses.filter((x) => x === st).length} × ${st}`).join(", "),
        s1(s.seconds),
      ]),
    ),
    "",
  ];
}

/** "isolate (V8 heap + backing stores)": what a run's first memory figure is. */
const headline = (memory: NonNullable<TargetRun["memory"]>) => `${memory.scope} (${memory.columns[0]})`;

const examples = (run: TargetRun, list: readonly string[]) => list.map((e) => `- ${run.target}: \`${e.replace(/`/g, "'")}\``);

/** docs/reliability.md. */
export function renderReliabilityDoc(run: StressRun): string {
  const { plan } = run;
  const vars = run.runs[0] ? Object.entries(run.runs[0].vars).map(([k, v]) => `${k}=${v}`) : [];
  const shapes = plan.shapes.map(shapeText).join("; ");
  return [
    "# Reliability",
    "",
    `Generated by \`${run.command}\` (src/cli/stress.ts) in ${(run.seconds / 60).toFixed(1)} minutes; do not edit by hand, run it again.`,
    "Every server runs on the loopback interface: the Worker in workerd as `wrangler dev` runs it, and the Node",
    `server (src/node-server.ts) in a child process, each with ${vars.join(", ")} over its own settings.`,
    "",
    "## Machine",
    "",
    ...run.machine.map((l) => `- ${l}`),
    "",
    "## Checks",
    "",
    ...checksTable(run),
    "",
    "## Concurrent streams",
    "",
    `${plan.streams} streamed requests sent at once, ${plan.streamTokens} tokens per row (EOS ignored), each with its own seed; text and chat,`,
    "n = 1 and 2, modes fixed, exact, mirostat, marginal and proxy in turn. Each is then replayed alone and its tokens compared:",
    "*lost* is a stream that did not arrive whole, *mixed* one that carries another request's chunks or other tokens than its replay.",
    "",
    ...head(["server", "streams", "whole and unmixed", "lost", "mixed", "refused (429)", "all at once", "replayed one by one"]),
    ...run.runs.map((r) => row([r.target, r.streams.streams, r.streams.ok, r.streams.lost, r.streams.mixed, r.streams.rejected, s1(r.streams.concurrentSeconds), s1(r.streams.replaySeconds)])),
    ...run.runs.flatMap((r) => examples(r, r.streams.examples)),
    "",
    "## Malformed requests",
    "",
    `${plan.malformed} requests from the generator in src/cli/stress-malformed.ts (seed ${plan.malformedSeed}), 8 at a time: each a valid request`,
    "with exactly one fault — a field of the wrong type, out of its range, not finite, missing, unknown or refused, two fields",
    "that contradict each other — or a body that is no JSON object (param null) or is over MAX_BODY_BYTES (413). Every answer",
    "must be a 4xx JSON error with the expected status whose `error.param` names the faulty field (or a path inside it).",
    "",
    ...head(["server", "requests", "distinct faults", "answers", "failures", "time"]),
    ...run.runs.map((r) => {
      const failures = Object.entries(r.malformed.failures).map(([k, n]) => `${k}: ${n}`);
      return row([r.target, r.malformed.requests, r.malformed.faults, statusesText(r.malformed.statuses), failures.length ? failures.join(", ") : "none", s1(r.malformed.seconds)]);
    }),
    ...run.runs.flatMap((r) => examples(r, r.malformed.examples)),
    "",
    "## Streams dropped by the client",
    "",
    `${plan.dropped} streams of ${DROPPED_TOKENS} tokens, each dropped (the fetch aborted) after its first chunk; then /healthz is polled until no`,
    `generation runs, one request is sent, and as many streams as MAX_CONCURRENT are opened at once. \`wrangler dev\` does not`,
    `deliver the disconnect to the Worker: its slots come back after STREAM_IDLE_MS (${plan.idleMs} ms) without progress. The Node server sees it.`,
    "",
    ...head(["server", "dropped", "every slot free after", "a request after", "slots taken at once after"]),
    ...run.runs.map((r) =>
      row([
        r.target,
        r.dropped.dropped,
        r.dropped.slotsBackMs === null ? "**not within the limit**" : s1(r.dropped.slotsBackMs / 1000),
        r.dropped.after,
        `${r.dropped.admitted} of ${r.dropped.capacity}${refusedText(r.dropped.refused)}`,
      ]),
    ),
    "",
    "## Soak",
    "",
    `${plan.soak} requests one after another, ${plan.soakTokens} tokens per row, endpoints, streaming, n and modes in turn. Latency`,
    "of the first and the last tenth (median / 90th percentile); memory after a full garbage collection before the first",
    "request and after the last.",
    "",
    ...head(["server", "requests", "failed", "latency, first tenth", "latency, last tenth", "memory before → after"]),
    ...run.runs.map((r) =>
      row([
        r.target,
        r.soak.requests,
        r.soak.failures,
        latency(r.soak.first),
        latency(r.soak.last),
        r.soak.memoryFirst && r.soak.memoryLast && r.memory ? `${headline(r.memory)}: ${mib(r.soak.memoryFirst[0]!)} → ${mib(r.soak.memoryLast[0]!)}` : "not measured",
      ]),
    ),
    "",
    "## Peak memory per request shape",
    "",
    `Shapes ${shapes}, whole responses with EOS ignored, one after another in the same server, smallest first: wasm memory`,
    "never shrinks, so a shape's peak includes what the shapes before it grew (the *before* column).",
    "",
    "- **workerd: isolate memory**, what Workers' 128 MB limit applies to, through the dev inspector (test/helpers/inspector.ts):",
    "  the V8 heap (`Runtime.getHeapUsage` totalSize) and ArrayBuffers (backingStorageSize) at their sampled peak (every 100 ms),",
    "  and the WebAssembly linear memory (ORT's weights and tensors; every `WebAssembly.Memory` in the isolate), read once the",
    "  load is over: it never shrinks. Their sum bounds the isolate's peak from above (the heap and ArrayBuffers peaks are",
    "  sampled, and need not coincide).",
    "- **Node: process memory, not an isolate's**: the peak RSS (VmHWM, reset before each shape through /proc/<pid>/clear_refs),",
    "  which holds onnxruntime-node's native buffers and Node itself, and the process's V8 heap + ArrayBuffers through its inspector.",
    "",
    ...run.runs.flatMap(shapeTable),
  ].join("\n");
}
