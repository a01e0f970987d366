/**
 * CausalLM — a Hugging Face-layout ONNX decoder with a KV cache, over any onnxruntime.
 *
 * Inputs follow optimum's "text-generation-with-past" export: `input_ids`, `attention_mask`,
 * optional `position_ids`, and `past_key_values.{i}.key/value` [batch, kv_heads, past, head_dim];
 * outputs `logits` and `present.{i}.key/value`. A prompt is run once at batch 1 and its cache
 * tiled to B rows (B continuations of one prompt share the prefix), then every step feeds one
 * token per row.
 *
 * The cache is held in runs of at most `rowsPerRun` rows, and a step runs the session once per
 * run. A runtime that copies its inputs and outputs (onnxruntime-web copies every tensor into and
 * out of its wasm memory) then holds a run's cache twice more, not the whole batch's: on Workers,
 * where the isolate has 128 MB, that is the difference between n = 8 fitting or not.
 *
 * The cache has the dtype the graph declares for `past_key_values.0.key`: float32, or float16
 * (optimum's fp16 exports, and training/quantize.py's variant, whose half-size cache is what lets
 * n = 8 x 1000 tokens fit an isolate). A float16 cache is carried as its raw bits (Uint16Array)
 * and never converted here: the graph widens it.
 */
import type { ModelSpec } from "./config.js";
import type { OrtModule, OrtSession, OrtTensor } from "./ort.js";

/** The cache after `length` positions for `rows` rows. Owned by one request; never shared. */
export interface KvCache {
  readonly rows: number;
  readonly length: number;
  /** past_key_values by run of rows, in row order: each run's tensors hold that run's rows. */
  readonly past: readonly Readonly<Record<string, OrtTensor>>[];
}

export interface Logits {
  /** Next-token logits [rows * vocab] for the last position of each row. */
  readonly logits: Float32Array;
  readonly cache: KvCache;
}

/** The element types a KV cache may have, and their sizes in bytes. */
export const KV_DTYPE_BYTES = { float32: 4, float16: 2 } as const;
export type KvDtype = keyof typeof KV_DTYPE_BYTES;

export interface CausalLM {
  readonly spec: ModelSpec;
  /** Element type of the KV cache, as the graph declares it. */
  readonly kvDtype: KvDtype;
  /** Most rows one session run feeds (all when absent); the memory model counts one run's copies. */
  readonly rowsPerRun?: number;
  /** Run the prompt and return its next-token logits and cache, tiled to `rows` identical rows. */
  prefill(promptIds: readonly number[], rows: number): Promise<Logits>;
  /** Append one token per row (`tokens.length === cache.rows`). */
  step(tokens: Int32Array, cache: KvCache): Promise<Logits>;
}

export interface CausalLMOptions {
  /** Most rows one session run feeds; more rows step in runs of this many (default: all at once). */
  readonly rowsPerRun?: number;
}

/**
 * Free a typed array's memory now by detaching its buffer. V8 frees an unreachable ArrayBuffer
 * only at a garbage collection, which a Worker cannot ask for and which buffers alone bring on
 * only after some 64 MiB more of them: measured in workerd, 4 rows of 1000 tokens whose caches
 * came to 31 MiB held 106 MiB of ArrayBuffers at their peak. Where the runtime cannot detach
 * (Node 20 has no `ArrayBuffer.prototype.transfer`), the collector frees it as before.
 */
function freeBuffer(data: unknown): void {
  const buffer = (data as { buffer?: unknown }).buffer;
  if (buffer instanceof ArrayBuffer && "transfer" in buffer) (buffer as ArrayBuffer & { transfer(length: number): ArrayBuffer }).transfer(0);
}

/** Dispose a tensor and free its data now; the tensor must own its buffer (one the runtime returned or `tile` made). */
function release(t: OrtTensor): void {
  freeBuffer(t.data);
  t.dispose?.();
}

/** The cache's dtype from the graph's metadata (float32 where the runtime does not say). */
function kvDtypeOf(session: OrtSession): KvDtype {
  const type = session.inputMetadata?.find((m) => m.name === "past_key_values.0.key")?.type ?? "float32";
  if (type in KV_DTYPE_BYTES) return type as KvDtype;
  throw new Error(`model input past_key_values.0.key is ${type}; the KV cache must be float32 or float16`);
}

const KNOWN_INPUTS = /^(input_ids|attention_mask|position_ids|past_key_values\.\d+\.(key|value))$/;

/** Wrap a created session. Throws when the graph needs an input this engine does not feed. */
export function createCausalLM(ort: OrtModule, session: OrtSession, spec: ModelSpec, options: CausalLMOptions = {}): CausalLM {
  const rowsPerRun = options.rowsPerRun ?? Number.POSITIVE_INFINITY;
  if (!(rowsPerRun >= 1)) throw new RangeError(`rowsPerRun must be at least 1, got ${rowsPerRun}`);
  const unknown = session.inputNames.filter((n) => !KNOWN_INPUTS.test(n));
  if (unknown.length > 0) throw new Error(`model input ${unknown.join(", ")} is not supported`);
  for (const n of ["input_ids", "attention_mask", "past_key_values.0.key"]) {
    if (!session.inputNames.includes(n)) throw new Error(`model has no input ${n}: export it with past_key_values`);
  }
  const usesPositions = session.inputNames.includes("position_ids");
  const kvDtype = kvDtypeOf(session);
  const V = spec.vocabSize;
  const pastNames: [string, string][] = [];
  for (let i = 0; i < spec.layers; i++) {
    for (const kv of ["key", "value"]) pastNames.push([`past_key_values.${i}.${kv}`, `present.${i}.${kv}`]);
  }

  const int64 = (values: ArrayLike<number>, dims: readonly number[]): OrtTensor => {
    const data = new BigInt64Array(values.length);
    for (let i = 0; i < values.length; i++) data[i] = BigInt(values[i]!);
    return new ort.Tensor("int64", data, dims);
  };
  const ones = (rows: number, cols: number): OrtTensor => new ort.Tensor("int64", new BigInt64Array(rows * cols).fill(1n), [rows, cols]);

  async function run(ids: OrtTensor, rows: number, past: Readonly<Record<string, OrtTensor>>, pastLength: number, seq: number) {
    const feeds: Record<string, OrtTensor> = { input_ids: ids, attention_mask: ones(rows, pastLength + seq), ...past };
    if (usesPositions) {
      const pos = new Array<number>(rows * seq);
      for (let r = 0; r < rows; r++) for (let s = 0; s < seq; s++) pos[r * seq + s] = pastLength + s;
      feeds["position_ids"] = int64(pos, [rows, seq]);
    }
    const out = await session.run(feeds);
    const present: Record<string, OrtTensor> = {};
    for (const [pastName, presentName] of pastNames) {
      const t = out[presentName];
      if (!t) throw new Error(`model output ${presentName} is missing`);
      present[pastName] = t;
    }
    const logits = out["logits"];
    if (!logits) throw new Error("model output logits is missing");
    return { logits: logits.data as Float32Array, present };
  }

  function emptyPast(): Record<string, OrtTensor> {
    const past: Record<string, OrtTensor> = {};
    const empty = kvDtype === "float16" ? new Uint16Array(0) : new Float32Array(0);
    for (const [name] of pastNames) past[name] = new ort.Tensor(kvDtype, empty, [1, spec.kvHeads, 0, spec.headDim]);
    return past;
  }

  function tile(t: OrtTensor, rows: number): OrtTensor {
    // Bits are copied as they are: a float16 cache may come back as Uint16Array or Float16Array.
    const src = t.data as Float32Array | Uint16Array;
    const out = kvDtype === "float16" ? new Uint16Array(src.length * rows) : new Float32Array(src.length * rows);
    const bits = kvDtype === "float16" ? new Uint16Array(src.buffer, src.byteOffset, src.length) : src;
    for (let r = 0; r < rows; r++) out.set(bits, r * src.length);
    return new ort.Tensor(kvDtype, out, [rows, ...t.dims.slice(1)]);
  }

  /** Rows in each run of a `rows`-row cache. */
  function runSizes(rows: number): number[] {
    const sizes: number[] = [];
    for (let left = rows; left > 0; left -= Math.min(left, rowsPerRun)) sizes.push(Math.min(left, rowsPerRun));
    return sizes;
  }

  return {
    spec,
    kvDtype,
    ...(Number.isFinite(rowsPerRun) ? { rowsPerRun } : {}),
    async prefill(promptIds, rows) {
      if (promptIds.length === 0) throw new RangeError("prompt must contain at least one token");
      if (!Number.isInteger(rows) || rows < 1) throw new RangeError(`rows must be a positive integer, got ${rows}`);
      const n = promptIds.length;
      const { logits, present } = await run(int64(promptIds, [1, n]), 1, emptyPast(), 0, n);
      const last = logits.subarray((n - 1) * V, n * V);
      const tiled = new Float32Array(rows * V);
      for (let r = 0; r < rows; r++) tiled.set(last, r * V);
      freeBuffer(logits);
      if (rows === 1) return { logits: tiled, cache: { rows, length: n, past: [present] } };
      // Each run gets its own copy of the prompt's cache, which it releases when it steps.
      const past = runSizes(rows).map((size) => Object.fromEntries(pastNames.map(([name]) => [name, tile(present[name]!, size)])));
      for (const t of Object.values(present)) release(t);
      return { logits: tiled, cache: { rows, length: n, past } };
    },
    async step(tokens, cache) {
      if (tokens.length !== cache.rows) throw new RangeError(`expected ${cache.rows} tokens, got ${tokens.length}`);
      if (cache.past.length === 1) {
        // One run (every row at once, or a single row): its logits are the batch's, no copy.
        const runPast = cache.past[0]!;
        const out = await run(int64(tokens, [cache.rows, 1]), cache.rows, runPast, cache.length, 1);
        for (const t of Object.values(runPast)) release(t);
        return { logits: out.logits, cache: { rows: cache.rows, length: cache.length + 1, past: [out.present] } };
      }
      const logits = new Float32Array(cache.rows * V);
      const past: Readonly<Record<string, OrtTensor>>[] = [];
      let row = 0;
      for (const runPast of cache.past) {
        const size = runPast[pastNames[0]![0]]!.dims[0]!;
        const out = await run(int64(tokens.subarray(row, row + size), [size, 1]), size, runPast, cache.length, 1);
        // The run's old cache goes as soon as its successor exists, before the next run copies its own.
        for (const t of Object.values(runPast)) release(t);
        logits.set(out.logits, row * V);
        freeBuffer(out.logits);
        past.push(out.present);
        row += size;
      }
      return { logits, cache: { rows: cache.rows, length: cache.length + 1, past } };
    },
  };
}
