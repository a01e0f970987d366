import { describe, expect, test, vi } from "vitest";
import { createApp } from "../src/http/app.js";
import { DEFAULT_LIMITS } from "../src/http/limits.js";
import type { Model } from "../src/model/model.js";
import { errorOf, nodeModel, post, testApp } from "./helpers/http.js";

const model = await nodeModel();
const app = await testApp({ limits: { maxPromptTokens: 64, maxN: 4, maxTokens: 100 } });
const roomy = await testApp({ limits: { maxTokens: 4096 } });
const name = model.name;
const messages = [{ role: "user", content: "Hi" }];
const lnV = Math.log(model.spec.vocabSize);

type Case = [label: string, body: Record<string, unknown>, param: string | null];

/** Bad /v1/completions bodies and the field each must be blamed on. */
const completionCases: Case[] = [
  ["model missing", { prompt: "x" }, "model"],
  ["model not a string", { model: 3, prompt: "x" }, "model"],
  ["prompt missing", { model: name }, "prompt"],
  ["prompt of the wrong type", { model: name, prompt: { text: "x" } }, "prompt"],
  ["prompt as an empty id array", { model: name, prompt: [] }, "prompt"],
  ["prompt with a non-integer id", { model: name, prompt: [1.5] }, "prompt[0]"],
  ["prompt id outside the vocabulary", { model: name, prompt: [model.spec.vocabSize] }, "prompt"],
  ["prompt that encodes to nothing", { model: name, prompt: "" }, "prompt"],
  ["prompt over MAX_PROMPT_TOKENS", { model: name, prompt: new Array(65).fill(1) }, "prompt"],
  ["max_tokens 0", { model: name, prompt: "x", max_tokens: 0 }, "max_tokens"],
  ["max_tokens not an integer", { model: name, prompt: "x", max_tokens: 2.5 }, "max_tokens"],
  ["max_tokens over MAX_TOKENS", { model: name, prompt: "x", max_tokens: 101 }, "max_tokens"],
  ["temperature below 0", { model: name, prompt: "x", temperature: -0.1 }, "temperature"],
  ["temperature above 2", { model: name, prompt: "x", temperature: 2.5 }, "temperature"],
  ["top_p 0", { model: name, prompt: "x", top_p: 0 }, "top_p"],
  ["top_p above 1", { model: name, prompt: "x", top_p: 1.5 }, "top_p"],
  ["top_k negative", { model: name, prompt: "x", top_k: -1 }, "top_k"],
  ["top_k not an integer", { model: name, prompt: "x", top_k: 2.5 }, "top_k"],
  ["min_p above 1", { model: name, prompt: "x", min_p: 1.5 }, "min_p"],
  ["n 0", { model: name, prompt: "x", n: 0 }, "n"],
  ["n over MAX_N", { model: name, prompt: "x", n: 5 }, "n"],
  ["stream not a boolean", { model: name, prompt: "x", stream: "yes" }, "stream"],
  ["stream_options not an object", { model: name, prompt: "x", stream_options: true }, "stream_options"],
  ["seed negative", { model: name, prompt: "x", seed: -1 }, "seed"],
  ["seed not an integer", { model: name, prompt: "x", seed: 0.5 }, "seed"],
  ["seed over 2^32 - 1", { model: name, prompt: "x", seed: 2 ** 32 }, "seed"],
  ["stop not a string", { model: name, prompt: "x", stop: 7 }, "stop"],
  ["more than four stops", { model: name, prompt: "x", stop: ["a", "b", "c", "d", "e"] }, "stop"],
  ["logprobs over 5", { model: name, prompt: "x", logprobs: 6 }, "logprobs"],
  ["user not a string", { model: name, prompt: "x", user: 5 }, "user"],
  ["telemetry not a boolean", { model: name, prompt: "x", telemetry: "on" }, "telemetry"],
  ["entropy not an object", { model: name, prompt: "x", entropy: "exact" }, "entropy"],
  ["entropy without a mode", { model: name, prompt: "x", entropy: { target: 2 } }, "entropy.mode"],
  ["entropy.mode unknown", { model: name, prompt: "x", entropy: { mode: "typical", target: 2 } }, "entropy.mode"],
  ["entropy with an unknown key", { model: name, prompt: "x", entropy: { mode: "exact", targt: 2 } }, "entropy.targt"],
  ["entropy.target negative", { model: name, prompt: "x", entropy: { mode: "exact", target: -1 } }, "entropy.target"],
  ["entropy.target above ln V", { model: name, prompt: "x", entropy: { mode: "exact", target: lnV + 1 } }, "entropy.target"],
  ["entropy.target missing", { model: name, prompt: "x", entropy: { mode: "exact" } }, "entropy.target"],
  ["entropy.gain negative", { model: name, prompt: "x", entropy: { mode: "exact", target: 2, gain: -1 } }, "entropy.gain"],
  ["entropy.t_min 0", { model: name, prompt: "x", entropy: { mode: "exact", target: 2, t_min: 0 } }, "entropy.t_min"],
  ["entropy.t_max 0", { model: name, prompt: "x", entropy: { mode: "exact", target: 2, t_max: 0 } }, "entropy.t_max"],
  ["entropy.t_max below t_min", { model: name, prompt: "x", entropy: { mode: "exact", target: 2, t_min: 1, t_max: 0.5 } }, "entropy.t_max"],
  ["entropy.tau 0", { model: name, prompt: "x", entropy: { mode: "mirostat", tau: 0 } }, "entropy.tau"],
  ["entropy.eta negative", { model: name, prompt: "x", entropy: { mode: "mirostat", tau: 2, eta: -1 } }, "entropy.eta"],
  ["mirostat without tau or target", { model: name, prompt: "x", entropy: { mode: "mirostat" } }, "entropy.tau"],
];

/** Bad /v1/chat/completions bodies. */
const chatCases: Case[] = [
  ["messages missing", { model: name }, "messages"],
  ["messages empty", { model: name, messages: [] }, "messages"],
  ["message role unknown", { model: name, messages: [{ role: "wizard", content: "x" }] }, "messages[0].role"],
  ["message content of the wrong type", { model: name, messages: [{ role: "user", content: 5 }] }, "messages[0].content"],
  ["message content with a non-text part", { model: name, messages: [{ role: "user", content: [{ type: "image_url", image_url: "x" }] }] }, "messages[0].content"],
  ["max_completion_tokens 0", { model: name, messages, max_completion_tokens: 0 }, "max_completion_tokens"],
  ["top_logprobs over 20", { model: name, messages, logprobs: true, top_logprobs: 21 }, "top_logprobs"],
  ["logprobs not a boolean", { model: name, messages, logprobs: 3 }, "logprobs"],
  ["messages over MAX_PROMPT_TOKENS", { model: name, messages: [{ role: "user", content: "And it came to pass ".repeat(40) }] }, "messages"],
];

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
