/**
 * Stress scenarios — what the stress suite does to a running server over loopback HTTP, each a
 * function of the server's base URL returning plain figures: concurrent streams against their
 * replays alone, malformed requests, streams dropped by the client, a soak, and the peak memory
 * of request shapes. The verdicts on the figures are stress-report.ts's.
 */
import { createRng } from "../sampling/rng.js";
import { quantile } from "./bench-stats.js";
import { type Failure, judge, type MalformedContext, malformedRequests } from "./stress-malformed.js";
import { compareStreams, parseStream, type StreamOutcome, type StreamTally, tallyStreams } from "./stress-streams.js";
import type { Meter } from "./stress-targets.js";

const PROMPTS = ["And it came to pass", "In the beginning God created", "And the LORD spake unto Moses", "Blessed are the", "Who begat"];

/** The status recorded for a request whose connection failed: no answer at all, as bad as a 5xx. */
export const CONNECTION_LOST = 599;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** POST `body` as JSON to `path` under `base`. */
function post(base: URL, path: string, body: unknown, signal?: AbortSignal): Promise<Response> {
  return fetch(new URL(path, base), { method: "POST", headers: { "Content-Type": "application/json" }, body: typeof body === "string" ? body : JSON.stringify(body), ...(signal ? { signal } : {}) });
}

/** Generations the server is running now (GET /healthz `running`; reading it lets the gate take back idle slots). */
async function running(base: URL): Promise<number> {
  return ((await (await fetch(new URL("/healthz", base))).json()) as { running: number }).running;
}

/** What the generator and the scenarios need to know of the served model, asked of the server itself. */
export async function describeServer(base: URL, limits: MalformedContext["limits"]): Promise<MalformedContext> {
  const models = (await (await fetch(new URL("/v1/models", base))).json()) as { data: { id: string; vocab_size: number; max_positions: number }[] };
  const model = models.data[0]!;
  const schedules = (await (await fetch(new URL("/v1/schedules", base))).json()) as { target_range?: [number, number] | null };
  return { model: model.id, vocabSize: model.vocab_size, maxPositions: model.max_positions, limits, ...(schedules.target_range ? { scheduleRange: schedules.target_range } : {}) };
}

// --- concurrent streams -------------------------------------------------------------------------

/** One request of the concurrent-streams scenario: the endpoint, mode and n vary with `i`; the seed is its own. */
export function streamRequest(i: number, model: string, tokens: number): { path: string; body: Record<string, unknown>; rows: number } {
  const rows = i % 3 === 2 ? 2 : 1;
  const modes = [{ mode: "fixed" }, { mode: "exact", target: 3 }, { mode: "mirostat", tau: 3 }, rows > 1 ? { mode: "marginal", target: 4 } : { mode: "proxy", target: 5 }];
  const prompt = PROMPTS[i % PROMPTS.length]!;
  const common = { model, max_tokens: tokens, n: rows, seed: 1000 + i, stream: true, telemetry: true, ignore_eos: true, entropy: modes[i % modes.length] };
  return i % 4 === 3 ? { path: "/v1/chat/completions", body: { ...common, messages: [{ role: "user", content: prompt }] }, rows } : { path: "/v1/completions", body: { ...common, prompt }, rows };
}

export interface StreamsResult extends StreamTally {
  /** Wall time of the concurrent run and of the replays one after another, s. */
  readonly concurrentSeconds: number;
  readonly replaySeconds: number;
}

/** `count` seeded streams at once, each read to its end, then each replayed alone and compared. */
export async function concurrentStreams(base: URL, model: string, count: number, tokens: number): Promise<StreamsResult> {
  const requests = Array.from({ length: count }, (_, i) => streamRequest(i, model, tokens));
  const read = async (r: (typeof requests)[number]) => {
    const res = await post(base, r.path, r.body);
    return parseStream(res.status, await res.text());
  };
  const started = performance.now();
  const concurrent = await Promise.all(requests.map(read));
  const concurrentSeconds = (performance.now() - started) / 1000;
  const replayStarted = performance.now();
  const solo: StreamOutcome[] = [];
  for (const r of requests) solo.push(await read(r));
  const replaySeconds = (performance.now() - replayStarted) / 1000;
  return { ...tallyStreams(concurrent.map((c, i) => compareStreams(c, solo[i]!, requests[i]!.rows))), concurrentSeconds, replaySeconds };
}

// --- malformed requests -------------------------------------------------------------------------

export interface MalformedResult {
  readonly requests: number;
  /** Distinct faults among them. */
  readonly faults: number;
  /** How many answers had each status. */
  readonly statuses: Readonly<Record<string, number>>;
  /** How many answers fell short, by how. */
  readonly failures: Readonly<Partial<Record<Failure, number>>>;
  /** The first few that fell short: the fault, what was expected and what came back. */
  readonly examples: readonly string[];
  readonly seconds: number;
}

/** `count` generated malformed requests from `seed`, `parallel` at a time, each answer judged. */
export async function malformed(base: URL, ctx: MalformedContext, count: number, seed: number, parallel = 8): Promise<MalformedResult> {
  const cases = malformedRequests(ctx, createRng(seed), count);
  const statuses: Record<string, number> = {};
  const failures: Partial<Record<Failure, number>> = {};
  const examples: string[] = [];
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    for (let i = next++; i < cases.length; i = next++) {
      const c = cases[i]!;
      let answer: { status: number; contentType: string | null; body: string };
      try {
        const res = await post(base, c.endpoint, c.body);
        answer = { status: res.status, contentType: res.headers.get("Content-Type"), body: await res.text() };
      } catch (err) {
        answer = { status: CONNECTION_LOST, contentType: null, body: String(err) };
      }
      statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
      const failure = judge(c, answer);
      if (failure === undefined) continue;
      failures[failure] = (failures[failure] ?? 0) + 1;
      if (examples.length < 8) examples.push(`${failure}: ${c.fault} (${c.endpoint}, expected ${c.status} naming ${c.param ?? "no field"}) → ${answer.status} ${answer.body.slice(0, 160)}`);
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return { requests: cases.length, faults: new Set(cases.map((c) => c.fault)).size, statuses, failures, examples, seconds: (performance.now() - started) / 1000 };
}

// --- streams dropped by the client --------------------------------------------------------------

export interface DroppedResult {
  readonly dropped: number;
  /** From the last drop until the server runs no generation, ms; null when it did not within the limit. */
  readonly slotsBackMs: number | null;
  /** Status of one request sent once the slots are back. */
  readonly after: number;
  /** Streams of `maxConcurrent` opened at once afterwards that were admitted (each holding its slot while the others open). */
  readonly admitted: number;
  readonly capacity: number;
  /** The others, by status and error code (e.g. "429 memory_budget_exceeded"), with how many. */
  readonly refused: Readonly<Record<string, number>>;
}

/**
 * Tokens of each stream to drop: long enough that none ends on its own before STREAM_IDLE_MS with
 * 20 decoding at once, short enough that 20 fit the shipped memory budget together (each holds
 * its KV cache for every position it may reach).
 */
export const DROPPED_TOKENS = 100;

/**
 * Open `count` long streams, read each one's first chunk and drop it (abort the fetch); then
 * poll until every slot is free (at most `limitMs`), send one request, and open `maxConcurrent`
 * streams at once to see that every slot can be taken again.
 */
export async function droppedStreams(base: URL, model: string, count: number, maxConcurrent: number, limitMs: number): Promise<DroppedResult> {
  const drop = async (seed: number) => {
    const abort = new AbortController();
    const res = await post(base, "/v1/completions", { model, prompt: PROMPTS[seed % PROMPTS.length], max_tokens: DROPPED_TOKENS, stream: true, seed, ignore_eos: true }, abort.signal);
    if (res.status !== 200) throw new Error(`a stream to drop was answered ${res.status}: ${await res.text()}`);
    await res.body!.getReader().read();
    abort.abort();
  };
  await Promise.all(Array.from({ length: count }, (_, i) => drop(i)));
  const dropped = performance.now();
  let slotsBackMs: number | null = null;
  while (performance.now() - dropped < limitMs) {
    if ((await running(base)) === 0) {
      slotsBackMs = performance.now() - dropped;
      break;
    }
    await sleep(100);
  }
  const after = (await post(base, "/v1/completions", { model, prompt: "And", max_tokens: 1 })).status;
  const opened = await Promise.all(
    Array.from({ length: maxConcurrent }, async (_, i) => {
      const res = await post(base, "/v1/completions", { model, prompt: "And", max_tokens: 2, stream: true, seed: i });
      if (res.status !== 200) {
        const code = ((await res.json().catch(() => undefined)) as { error?: { code?: string } } | undefined)?.error?.code;
        return { status: res.status, why: `${res.status}${code ? ` ${code}` : ""}` };
      }
      const reader = res.body!.getReader();
      await reader.read();
      return { status: res.status, reader };
    }),
  );
  // Every stream holds its slot until all are open; then read them out.
  await Promise.all(
    opened.map(async ({ reader }) => {
      if (reader) while (!(await reader.read()).done);
    }),
  );
  const refused: Record<string, number> = {};
  for (const r of opened) if (r.why) refused[r.why] = (refused[r.why] ?? 0) + 1;
  return { dropped: count, slotsBackMs, after, admitted: opened.filter((r) => r.status === 200).length, capacity: maxConcurrent, refused };
}

// --- soak ---------------------------------------------------------------------------------------

/** Median and 90th percentile of a window of latencies, ms. */
export interface LatencyWindow {
  readonly median: number;
  readonly p90: number;
  readonly n: number;
}

export interface SoakResult {
  readonly requests: number;
  /** Requests answered with anything but a whole 200. */
  readonly failures: number;
  readonly first: LatencyWindow;
  readonly last: LatencyWindow;
  /** The meter's figures after a full GC before the first request and after the last, bytes. */
  readonly memoryFirst?: readonly number[];
  readonly memoryLast?: readonly number[];
}

function windowOf(ms: readonly number[]): LatencyWindow {
  return { median: quantile(ms, 0.5), p90: quantile(ms, 0.9), n: ms.length };
}

/** One soak request: endpoints, streaming, n and modes rotate; every one is short. */
function soakRequest(i: number, model: string, tokens: number): { path: string; body: Record<string, unknown> } {
  const { path, body } = streamRequest(i, model, tokens);
  return { path, body: { ...body, stream: i % 2 === 0, seed: 5000 + i, telemetry: i % 5 === 0 } };
}

/** `count` requests one after another; latency of the first and last tenth, memory before and after. */
export async function soak(base: URL, model: string, count: number, tokens: number, meter?: Meter): Promise<SoakResult> {
  const memoryFirst = await meter?.settled();
  const latencies: number[] = [];
  let failures = 0;
  for (let i = 0; i < count; i++) {
    const { path, body } = soakRequest(i, model, tokens);
    const started = performance.now();
    const res = await post(base, path, body);
    const text = await res.text();
    latencies.push(performance.now() - started);
    if (res.status !== 200 || (body["stream"] === true && !text.trimEnd().endsWith("data: [DONE]"))) failures++;
  }
  const memoryLast = await meter?.settled();
  const k = Math.max(1, Math.floor(count / 10));
  return { requests: count, failures, first: windowOf(latencies.slice(0, k)), last: windowOf(latencies.slice(-k)), ...(memoryFirst ? { memoryFirst } : {}), ...(memoryLast ? { memoryLast } : {}) };
}

// --- peak memory per request shape --------------------------------------------------------------

/** `concurrent` requests at once, each with `n` rows of `tokens` tokens. */
export interface Shape {
  readonly concurrent: number;
  readonly n: number;
  readonly tokens: number;
}

/** "4*1x1000" → 4 concurrent requests, n = 1, 1000 tokens; the count is optional. Throws a RangeError on anything else. */
export function parseShape(text: string): Shape {
  const m = /^\s*(?:(\d+)\s*\*\s*)?(\d+)\s*x\s*(\d+)\s*$/.exec(text);
  const [concurrent, n, tokens] = [Number(m?.[1] ?? 1), Number(m?.[2]), Number(m?.[3])];
  if (!m || !(concurrent >= 1 && n >= 1 && tokens >= 1)) throw new RangeError(`a request shape is [COUNT*]NxTOKENS, e.g. 4*1x1000, got "${text}"`);
  return { concurrent, n, tokens };
}

export const shapeText = (s: Shape): string => `${s.concurrent > 1 ? `${s.concurrent} × ` : ""}n = ${s.n} × ${s.tokens} tokens`;

export interface ShapeResult {
  readonly shape: Shape;
  /** The meter's figures after a full GC before the load, bytes. */
  readonly before?: readonly number[];
  /** The peak figures while it ran, bytes. */
  readonly peak?: readonly number[];
  /** Status of each request. */
  readonly statuses: readonly number[];
  readonly seconds: number;
}

/** Run each shape in turn (whole responses, EOS ignored so every row runs its length) and read the meter's peak. */
export async function shapePeaks(base: URL, model: string, shapes: readonly Shape[], meter?: Meter): Promise<ShapeResult[]> {
  const results: ShapeResult[] = [];
  for (const shape of shapes) {
    const load = () =>
      Promise.all(
        Array.from({ length: shape.concurrent }, async (_, i) => {
          try {
            const res = await post(base, "/v1/completions", { model, prompt: PROMPTS[i % PROMPTS.length], max_tokens: shape.tokens, n: shape.n, seed: 77 + i, ignore_eos: true });
            await res.arrayBuffer();
            return res.status;
          } catch {
            return CONNECTION_LOST;
          }
        }),
      );
    const before = await meter?.settled();
    const started = performance.now();
    const { result: statuses, peak } = meter ? await meter.peakWhile(load) : { result: await load(), peak: undefined };
    results.push({ shape, ...(before ? { before } : {}), ...(peak ? { peak } : {}), statuses, seconds: (performance.now() - started) / 1000 });
  }
  return results;
}
