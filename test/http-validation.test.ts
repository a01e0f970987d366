import { describe, expect, test, vi } from "vitest";
import { createApp } from "../src/http/app.js";
import { DEFAULT_LIMITS } from "../src/http/limits.js";
import type { Model } from "../src/model/model.js";
import { errorOf, nodeModel, post, testApp } from "./helpers/http.js";
import { validationCases } from "./helpers/validation-cases.js";

const model = await nodeModel();
const app = await testApp({ limits: { maxPromptTokens: 64, maxN: 4, maxTokens: 100 } });
const roomy = await testApp({ limits: { maxTokens: 4096 } });
const name = model.name;

const { completion: completionCases, chat: chatCases } = validationCases({ name, vocabSize: model.spec.vocabSize, limits: { maxPromptTokens: 64, maxN: 4, maxTokens: 100 } });

describe("request validation: every bad field is a 400 naming it", () => {
  test.each(completionCases)("completions: %s", async (_label, body, param) => {
    const res = await post(app, "/v1/completions", body);
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error).toMatchObject({ type: "invalid_request_error", param });
    expect(error.message.length).toBeGreaterThan(0);
  });

  test.each(chatCases)("chat: %s", async (_label, body, param) => {
    const res = await post(app, "/v1/chat/completions", body);
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toMatchObject({ type: "invalid_request_error", param });
  });

  test("prompt + max_tokens beyond the model's positions is a 400 on max_tokens", async () => {
    const res = await post(roomy, "/v1/completions", { model: name, prompt: "x y", max_tokens: model.spec.maxPositions });
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error.param).toBe("max_tokens");
    expect(error.message).toContain(String(model.spec.maxPositions));
  });

  test("a body that is not JSON, or not an object, is a 400", async () => {
    let res = await post(app, "/v1/completions", "{not json");
    expect(res.status).toBe(400);
    expect((await errorOf(res)).message).toMatch(/JSON/);
    res = await post(app, "/v1/completions", "[1, 2]");
    expect(res.status).toBe(400);
    expect((await errorOf(res)).param).toBeNull();
  });

  test("JSON is read whatever the Content-Type (curl -d sends form encoding)", async () => {
    const res = await app.request("/v1/completions", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: JSON.stringify({ model: name, prompt: "x", max_tokens: 1 }),
    });
    expect(res.status).toBe(200);
  });

  test("a body over MAX_BODY_BYTES is a 413", async () => {
    const small = await testApp({ limits: { maxBodyBytes: 100 } });
    const res = await post(small, "/v1/completions", { model: name, prompt: "x".repeat(200) });
    expect(res.status).toBe(413);
    expect((await errorOf(res)).code).toBe("request_too_large");
  });

  test("an unknown route is a JSON 404", async () => {
    const res = await app.request("/v1/embeddings", { method: "POST" });
    expect(res.status).toBe(404);
    expect((await errorOf(res)).code).toBe("not_found");
  });

  test("more than MAX_CONCURRENT generations is a 429 until one finishes", async () => {
    const one = await testApp({ limits: { maxConcurrent: 1 } });
    const body = { model: name, prompt: "x", max_tokens: 50, stream: true };
    const first = await post(one, "/v1/completions", body);
    expect(first.status).toBe(200);
    const second = await post(one, "/v1/completions", body);
    expect(second.status).toBe(429);
    expect(await errorOf(second)).toMatchObject({ type: "rate_limit_error", code: "too_many_concurrent_requests" });
    await first.text();
    const third = await post(one, "/v1/completions", { ...body, stream: false, max_tokens: 1 });
    expect(third.status).toBe(200);
  });

  test("an unexpected failure is a 500 that leaks nothing", async () => {
    const logged = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const broken: Model = {
      ...model,
      lm: {
        ...model.lm,
        prefill: () => Promise.reject(new Error("secret internals at /srv/x")),
      },
    };
    const failing = createApp({ modelName: name, limits: DEFAULT_LIMITS, getModel: async () => ({ model: broken, catalog: {} }) });
    const res = await post(failing, "/v1/completions", { model: name, prompt: "x" });
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).not.toContain("secret");
    expect(JSON.parse(text).error.type).toBe("server_error");
    const stream = await post(failing, "/v1/completions", { model: name, prompt: "x", stream: true });
    expect(stream.status).toBe(200);
    const events = await stream.text();
    expect(events).toContain('"server_error"');
    expect(events).not.toContain("secret");
    expect(events).not.toContain("[DONE]");
    // The cause goes to the server log instead.
    expect(String(logged.mock.calls[0]?.[0])).toContain("secret");
    logged.mockRestore();
  });
});
