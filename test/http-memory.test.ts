/**
 * The memory budget over HTTP (the app on onnxruntime-node, with MEMORY_BUDGET_MB set, from the
 * memory model, to the whole MiB above what the model under test and one 400-token row need: room
 * for that row, not for two, nor for one of 1000 tokens).
 */
import { describe, expect, test } from "vitest";
import { loadCatalogFromDisk } from "../src/cli/catalog-disk.js";
import { PROBE_POSITIONS, PROBE_ROWS } from "../src/control/prompt-probe.js";
import { KV_DTYPE_BYTES } from "../src/model/causal-lm.js";
import { baselineBytes, requestMemory, wasmFreeBytes } from "../src/model/memory.js";
import { errorOf, nodeModel, post, testApp } from "./helpers/http.js";

const model = await nodeModel();
const body = { model: model.name, prompt: "And God said", max_tokens: 400, seed: 3 };
/** Baseline + held + transient of one request, bytes, as the admission gate estimates it. */
const need = (rows: number, maxTokens: number): number => {
  const m = requestMemory(model.spec, {
    rows,
    positions: model.tokenizer.encode(body.prompt).length + maxTokens,
    kvElementBytes: KV_DTYPE_BYTES[model.lm.kvDtype],
    wasmFreeBytes: wasmFreeBytes(model.onnxBytes ?? 0),
    ...(model.lm.rowsPerRun ? { rowsPerRun: model.lm.rowsPerRun } : {}),
  });
  return baselineBytes(model.onnxBytes ?? 0) + m.held + m.transient;
};
const limits = { memoryBudgetMb: Math.ceil(need(1, 400) / 2 ** 20) };

describe("the memory budget", () => {
  test("a request that could never fit is a 400 naming n, or max_tokens for one row", async () => {
    expect(need(2, 400)).toBeGreaterThan(limits.memoryBudgetMb * 2 ** 20);
    expect(need(1, 1000)).toBeGreaterThan(limits.memoryBudgetMb * 2 ** 20);
    const app = await testApp({ limits });
    const wide = await post(app, "/v1/completions", { ...body, n: 2 });
    expect(wide.status).toBe(400);
    const err = await errorOf(wide);
    expect(err).toMatchObject({ type: "invalid_request_error", param: "n" });
    expect(err.message).toMatch(new RegExp(`n = 2 with max_tokens = 400 needs an estimated [\\d.]+ MiB.*MEMORY_BUDGET_MB \\(${limits.memoryBudgetMb}\\)`));
    const long = await post(app, "/v1/completions", { ...body, max_tokens: 1000 });
    expect(long.status).toBe(400);
    expect(await errorOf(long)).toMatchObject({ param: "max_tokens" });
    const chat = await post(app, "/v1/chat/completions", { model: model.name, messages: [{ role: "user", content: "Hi" }], max_completion_tokens: 1000 });
    expect(await errorOf(chat)).toMatchObject({ param: "max_completion_tokens" });
  });

  test("a prompt whose probe could never fit is a 400 naming entropy.probe; without the probe the same request runs", async () => {
    const app = await testApp({ limits, catalog: await loadCatalogFromDisk("schedules", model.id) });
    // One row of this prompt and 20 tokens fits; 8 shadow rows of it over 10 positions do not.
    const prompt = "And God said, Let there be light: and there was light. ".repeat(12);
    const positions = model.tokenizer.encode(prompt).length + PROBE_POSITIONS;
    expect(positions * PROBE_ROWS).toBeGreaterThan(2 * 403);
    const request = { ...body, prompt, max_tokens: 20, entropy: { mode: "schedule", target: 4 } };
    const probed = await post(app, "/v1/completions", request);
    expect(probed.status).toBe(400);
    const err = await errorOf(probed);
    expect(err).toMatchObject({ type: "invalid_request_error", param: "entropy.probe" });
    expect(err.message).toMatch(/the prompt's probe \(8 shadow rows over \d+ positions\) needs an estimated [\d.]+ MiB.*set entropy.probe to false/);
    const plain = await post(app, "/v1/completions", { ...request, entropy: { ...request.entropy, probe: false } });
    expect(plain.status).toBe(200);
  });

  test("what does not fit beside the generations running is a 429 JSON with Retry-After, admitted once they end", async () => {
    const app = await testApp({ limits });
    const abort = new AbortController();
    const reader = (await post(app, "/v1/completions", { ...body, stream: true }, { signal: abort.signal })).body!.getReader();
    await reader.read();
    const res = await post(app, "/v1/completions", body);
    expect(res.status).toBe(429);
    expect(Number(res.headers.get("Retry-After"))).toBeGreaterThanOrEqual(1);
    expect(await errorOf(res)).toMatchObject({ type: "rate_limit_error", code: "memory_budget_exceeded" });
    abort.abort();
    await reader.cancel().catch(() => undefined);
    const after = await post(app, "/v1/completions", { ...body, max_tokens: 2 });
    expect(after.status).toBe(200);
  });

  test("without MEMORY_BUDGET_MB (the Node server's default) nothing is refused for memory", async () => {
    const app = await testApp();
    const res = await post(app, "/v1/completions", { ...body, n: 8, max_tokens: 2 });
    expect(res.status).toBe(200);
  });
});
