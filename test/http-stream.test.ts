import { describe, expect, test } from "vitest";
import { counted } from "./helpers/counted.js";
import { nodeModel, post, sseData, testApp } from "./helpers/http.js";

interface Chunk {
  object: string;
  choices: { index: number; text: string; finish_reason: string | null; logprobs: { tokens: string[] } | null; telemetry?: { text: string }[] }[];
  entropy?: { mode: string; seed: number };
  usage?: { completion_tokens: number };
}

const model = await nodeModel();
const app = await testApp();
const body = { model: model.name, prompt: "And God said", max_tokens: 8, seed: 21 };

const until = async (condition: () => boolean): Promise<void> => {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((r) => setTimeout(r, 5));
};
const settle = () => new Promise((r) => setTimeout(r, 100));

describe("streaming /v1/completions", () => {
  test("streams one chunk per token in OpenAI's shape, ending with [DONE]", async () => {
    const res = await post(app, "/v1/completions", { ...body, stream: true, telemetry: true, logprobs: 1 });
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toMatch(/^text\/event-stream/);
    const data = await sseData(res);
    expect(data.at(-1)).toBe("[DONE]");
    const chunks = data.slice(0, -1) as Chunk[];
    expect(chunks[0]!.entropy).toMatchObject({ mode: "fixed", seed: 21 });
    expect(chunks.slice(1).every((c) => c.entropy === undefined)).toBe(true);
    for (const c of chunks) {
      expect(c.object).toBe("text_completion");
      expect(c.choices).toHaveLength(1);
      expect(c.choices[0]!.telemetry).toHaveLength(1);
      expect(c.choices[0]!.telemetry![0]!.text).toBe(c.choices[0]!.text);
      expect(c.choices[0]!.logprobs!.tokens).toHaveLength(1);
    }
    expect(chunks.slice(0, -1).every((c) => c.choices[0]!.finish_reason === null)).toBe(true);
    const whole = (await (await post(app, "/v1/completions", body)).json()) as { choices: { text: string; finish_reason: string }[] };
    expect(chunks.map((c) => c.choices[0]!.text).join("")).toBe(whole.choices[0]!.text);
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe(whole.choices[0]!.finish_reason);
  });

  test("include_usage ends with a usage chunk", async () => {
    const data = await sseData(await post(app, "/v1/completions", { ...body, stream: true, stream_options: { include_usage: true } }));
    const usage = data.at(-2) as Chunk;
    expect(usage.choices).toEqual([]);
    expect(usage.usage!.completion_tokens).toBe(data.length - 2);
  });

  test("cancelling the stream stops decoding within one token and frees the slot", async () => {
    const { model: watched, steps } = counted(model);
    const one = await testApp({ model: watched, limits: { maxConcurrent: 1 } });
    const res = await post(one, "/v1/completions", { ...body, max_tokens: 400, stream: true });
    const reader = res.body!.getReader();
    for (let i = 0; i < 3; i++) await reader.read();
    await reader.cancel();
    const atCancel = steps();
    await settle();
    expect(steps()).toBeLessThanOrEqual(atCancel + 1);
    expect(steps()).toBeLessThan(50);
    const health = (await (await one.request("/healthz")).json()) as { running: number };
    expect(health.running).toBe(0);
    expect((await post(one, "/v1/completions", { ...body, max_tokens: 1 })).status).toBe(200);
  });

  test("aborting the request's signal stops a stream within one token", async () => {
    const { model: watched, steps } = counted(model);
    const watchedApp = await testApp({ model: watched });
    const abort = new AbortController();
    const res = await post(watchedApp, "/v1/completions", { ...body, max_tokens: 400, stream: true }, { signal: abort.signal });
    const reader = res.body!.getReader();
    for (let i = 0; i < 3; i++) await reader.read();
    abort.abort();
    const atAbort = steps();
    // Reading on would pull every remaining token out of a generation that ignored the signal.
    while (!(await reader.read()).done);
    expect(steps()).toBeLessThanOrEqual(atAbort + 1);
  });

  test("aborting the request's signal stops a non-streaming generation too", async () => {
    const { model: watched, steps } = counted(model);
    const watchedApp = await testApp({ model: watched });
    const abort = new AbortController();
    const pending = post(watchedApp, "/v1/completions", { ...body, max_tokens: 600, n: 8 }, { signal: abort.signal });
    await until(() => steps() >= 2);
    abort.abort();
    const atAbort = steps();
    await pending.catch(() => undefined);
    await settle();
    expect(steps()).toBeLessThanOrEqual(atAbort + 1);
    expect(steps()).toBeLessThan(599);
  });
});
