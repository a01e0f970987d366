/**
 * The Worker's memory in workerd, read through the dev inspector (heap + ArrayBuffers at their
 * sampled peak, plus wasm memory after the load), under the limits and the model variant
 * wrangler.toml ships: one request of n = MAX_N × MAX_TOKENS is admitted, the heaviest load the
 * memory budget admits stays within MEMORY_BUDGET_MB, and what it does not admit is answered
 * in JSON — 429 when it does not fit beside the generations running.
 */

import { readdir, readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { unstable_readConfig } from "wrangler";
import { limitsFromVars } from "../src/http/limits.js";
import { WEB_ROWS_PER_RUN } from "../src/model/backend-web.js";
import { KV_DTYPE_BYTES } from "../src/model/causal-lm.js";
import { parseModelConfig } from "../src/model/config.js";
import { MODEL_DTYPES, parseModelDtype } from "../src/model/dtype.js";
import { baselineBytes, kvBytesPerPosition, requestMemory, wasmFreeBytes } from "../src/model/memory.js";
import { modelIdOf } from "../src/model/model.js";
import { type MeteredWorker, mib, sampleMemory, startMeteredWorker } from "./helpers/inspector.js";
import { TEST_MODEL, TEST_MODEL_DIR } from "./helpers/model.js";

const vars = unstable_readConfig({ config: "wrangler.toml" }).vars as Record<string, string>;
const limits = limitsFromVars(vars);
const dtype = parseModelDtype(vars["MODEL_DTYPE"], "fp32");
const budget = limits.memoryBudgetMb * 2 ** 20;
const spec = parseModelConfig(JSON.parse(await readFile(`${TEST_MODEL_DIR}/config.json`, "utf8")));
const onnxBytes = (await readFile(`${TEST_MODEL_DIR}/${MODEL_DTYPES[dtype]}`)).byteLength;
const baseline = baselineBytes(onnxBytes);
/** Bytes per cached value in the shipped variant (q8's cache is float16). */
const kvElementBytes = KV_DTYPE_BYTES[dtype === "q8" ? "float16" : "float32"];
const prompt = "And it came to pass";
const PROMPT_TOKENS = 5;
/** The estimate for one generation of n rows × MAX_TOKENS, all it holds and its run's transient. */
const estimate = (n: number) => {
  const m = requestMemory(spec, { rows: n, positions: PROMPT_TOKENS + limits.maxTokens, rowsPerRun: WEB_ROWS_PER_RUN, kvElementBytes, wasmFreeBytes: wasmFreeBytes(onnxBytes) });
  return m.held + m.transient;
};

let worker: MeteredWorker;
/** Contexts the inspector had seen once the model was loaded: more mean wrangler reloaded the Worker (an edit under src/) and the readings are another isolate's. */
let contexts = 0;
const completion = async (n: number) => {
  const res = await worker.fetch("/v1/completions", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ model: TEST_MODEL, prompt, n, max_tokens: limits.maxTokens, ignore_eos: true, seed: n, entropy: { mode: "fixed" } }),
  });
  return { status: res.status, retryAfter: res.headers.get("Retry-After"), body: (await res.json()) as { usage?: { prompt_tokens: number }; error?: { param: string | null; code: string | null } } };
};

beforeAll(async () => {
  worker = await startMeteredWorker({ MODEL: TEST_MODEL });
  const warm = await completion(1).catch(() => undefined);
  expect(warm?.body.usage?.prompt_tokens).toBe(PROMPT_TOKENS);
  contexts = worker.inspector.contextsCreated();
}, 600_000);
afterAll(() => worker?.dispose());

describe("the Worker's memory in workerd", () => {
  test("idle with the model loaded, after one row of MAX_TOKENS, the isolate is within the baseline and that row's wasm growth", async () => {
    await worker.inspector.collectGarbage();
    const idle = (await worker.inspector.heapUsage()).isolate + (await worker.inspector.wasmMemory());
    // wasm memory never shrinks: what the warm-up row's run grew it by stays, and the estimate counted it in that run's transient
    const row = requestMemory(spec, { rows: 1, positions: PROMPT_TOKENS + limits.maxTokens, kvElementBytes, wasmFreeBytes: wasmFreeBytes(onnxBytes) });
    const grown = row.transient - kvBytesPerPosition(spec, kvElementBytes) * (PROMPT_TOKENS + limits.maxTokens);
    console.log(`idle: ${mib(idle)} MiB (baseline assumed ${mib(baseline)} MiB, + ${mib(grown)} MiB of wasm growth)`);
    expect(worker.inspector.contextsCreated(), "the Worker was reloaded").toBe(contexts);
    expect(idle).toBeLessThanOrEqual(baseline + grown);
  });

  test("the Worker serves the variant wrangler.toml names, with its KV cache and the fits it inherits", async () => {
    const health = (await (await worker.fetch("/healthz")).json()) as Record<string, unknown>;
    // a variant runs on its export's fits (variants.json): the schedules fitted for the fp32 file's id
    const fittedOn = await modelIdOf(new Uint8Array(await readFile(`${TEST_MODEL_DIR}/onnx/model.onnx`)));
    const fitted = (await readdir(`schedules/${fittedOn}`)).filter((f) => /^target-[\d.]+\.json$/.test(f)).length;
    expect(fitted).toBeGreaterThanOrEqual(3);
    expect(health).toMatchObject({ dtype, kv_dtype: dtype === "q8" ? "float16" : "float32", fitted_on_model_id: fittedOn, schedules: fitted, calibration: true });
  });

  test("n = MAX_N × MAX_TOKENS fits the budget alone: the limits were not lowered to stay within it", () => {
    expect(baseline + estimate(limits.maxN)).toBeLessThanOrEqual(budget);
  });

  // The heaviest shapes the budget admits: the widest n at MAX_TOKENS, and MAX_CONCURRENT single rows.
  const widest = Array.from({ length: limits.maxN }, (_, i) => limits.maxN - i).find((n) => baseline + estimate(n) <= budget)!;
  test.each([
    [`MAX_CONCURRENT × n = ${widest}`, widest],
    ["MAX_CONCURRENT × n = 1", 1],
  ])(
    "%s × MAX_TOKENS at once: what the budget admits peaks within it and the rest is 429 JSON",
    async (_, n) => {
      const { result, isolatePeak, peak, wasm } = await sampleMemory(worker.inspector, () => Promise.all(Array.from({ length: limits.maxConcurrent }, () => completion(n))));
      const admitted = result.filter((r) => r.status === 200).length;
      console.log(
        `${limits.maxConcurrent} × n = ${n} × ${limits.maxTokens}: ${admitted} admitted, peak ${mib(isolatePeak)} MiB (heap ${mib(peak.totalSize)}, ArrayBuffers ${mib(peak.backingStorageSize)}, wasm ${mib(wasm)}), estimated ${mib(baseline + admitted * estimate(n))}`,
      );
      expect(admitted).toBeGreaterThanOrEqual(1);
      for (const r of result.filter((r) => r.status !== 200)) {
        expect(r.status).toBe(429);
        expect(r.retryAfter).not.toBeNull();
        expect(r.body.error?.code).toBe("memory_budget_exceeded");
      }
      expect(isolatePeak).toBeLessThanOrEqual(budget);
      // and the estimate the gate admitted them on bounds what they used
      expect(isolatePeak).toBeLessThanOrEqual(baseline + admitted * estimate(n));
    },
    600_000,
  );
});
