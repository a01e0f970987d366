/**
 * The memory budget over HTTP (the app on onnxruntime-node, with MEMORY_BUDGET_MB set small so
 * that the shipped model's baseline of about 70 MiB leaves room for one 400-token row).
 */
import { describe, expect, test } from "vitest";
import { errorOf, nodeModel, post, testApp } from "./helpers/http.js";

const model = await nodeModel();
const body = { model: model.name, prompt: "And God said", max_tokens: 400, seed: 3 };
const limits = { memoryBudgetMb: 78 };

describe("the memory budget", () => {
  test("a request that could never fit is a 400 naming n, or max_tokens for one row", async () => {
    const app = await testApp({ limits });
    const wide = await post(app, "/v1/completions", { ...body, n: 2 });
    expect(wide.status).toBe(400);
    const err = await errorOf(wide);
    expect(err).toMatchObject({ type: "invalid_request_error", param: "n" });
    expect(err.message).toMatch(/n = 2 with max_tokens = 400 needs an estimated [\d.]+ MiB.*MEMORY_BUDGET_MB \(78\)/);
    const long = await post(app, "/v1/completions", { ...body, max_tokens: 1000 });
    expect(long.status).toBe(400);
    expect(await errorOf(long)).toMatchObject({ param: "max_tokens" });
    const chat = await post(app, "/v1/chat/completions", { model: model.name, messages: [{ role: "user", content: "Hi" }], max_completion_tokens: 1000 });
    expect(await errorOf(chat)).toMatchObject({ param: "max_completion_tokens" });
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
