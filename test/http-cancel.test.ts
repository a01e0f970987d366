/**
 * Slots are freed whatever the runtime reports: a stream whose client stops reading is aborted
 * after STREAM_IDLE_MS, the gate takes back a slot that made no progress for as long even when
 * the stalled request never runs again (workerd after a client left), the request's signal frees
 * the slot of a stream nobody pulls and of a whole response, and the 429 says when to come back.
 */

import type { Hono } from "hono";
import { describe, expect, test } from "vitest";
import { createGate } from "../src/http/concurrency.js";
import { counted } from "./helpers/counted.js";
import { errorOf, nodeModel, post, testApp } from "./helpers/http.js";

const model = await nodeModel();
const body = { model: model.name, prompt: "And God said", max_tokens: 400, seed: 21, stream: true };
const decoder = new TextDecoder();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const running = async (app: Hono): Promise<number> => ((await (await app.request("/healthz")).json()) as { running: number }).running;

/** Polls until the app runs no generation; the milliseconds that took. */
async function untilIdle(app: Hono, limitMs: number): Promise<number> {
  const start = Date.now();
  while ((await running(app)) > 0 && Date.now() - start < limitMs) await sleep(10);
  return Date.now() - start;
}

async function readAll(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<string> {
  let text = "";
  for (let r = await reader.read(); !r.done; r = await reader.read()) text += decoder.decode(r.value);
  return text;
}

describe("a stream whose client stops reading", () => {
  test("is aborted after STREAM_IDLE_MS: decoding stops, the slot is freed, a reader that comes back learns why", async () => {
    const { model: watched, steps } = counted(model);
    const app = await testApp({ model: watched, limits: { maxConcurrent: 1, streamIdleMs: 200 } });
    const reader = (await post(app, "/v1/completions", body)).body!.getReader();
    for (let i = 0; i < 3; i++) await reader.read();
    const stoppedReading = Date.now();
    expect(await running(app)).toBe(1);
    await untilIdle(app, 2000);
    expect(Date.now() - stoppedReading).toBeGreaterThanOrEqual(190);
    expect(Date.now() - stoppedReading).toBeLessThan(1500);
    const atAbort = steps();
    await sleep(100);
    expect(steps()).toBeLessThanOrEqual(atAbort + 1);
    expect(steps()).toBeLessThan(50);
    const rest = await readAll(reader);
    expect(rest).not.toContain("[DONE]");
    expect(rest).toContain('"code":"stream_idle_timeout"');
    expect((await post(app, "/v1/completions", { ...body, stream: false, max_tokens: 1 })).status).toBe(200);
  });

  test("a slow reader that keeps reading within the limit gets the whole stream", async () => {
    const app = await testApp({ limits: { streamIdleMs: 300 } });
    const reader = (await post(app, "/v1/completions", { ...body, max_tokens: 6 })).body!.getReader();
    let text = "";
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      text += decoder.decode(r.value);
      await sleep(100);
    }
    expect(text.trimEnd().endsWith("data: [DONE]")).toBe(true);
  });
});

describe("the request's signal", () => {
  test("frees the slot of a stream nobody reads at once, without waiting for the idle limit", async () => {
    const { model: watched, steps } = counted(model);
    const app = await testApp({ model: watched, limits: { maxConcurrent: 1, streamIdleMs: 60_000 } });
    const abort = new AbortController();
    const reader = (await post(app, "/v1/completions", body, { signal: abort.signal })).body!.getReader();
    await reader.read();
    abort.abort();
    expect(await running(app)).toBe(0);
    const atAbort = steps();
    await sleep(100);
    expect(steps()).toBeLessThanOrEqual(atAbort + 1);
  });

  test("frees the slot of a whole (non-streamed) response", async () => {
    const { model: watched, steps } = counted(model);
    const app = await testApp({ model: watched, limits: { maxConcurrent: 1 } });
    const abort = new AbortController();
    const pending = post(app, "/v1/completions", { ...body, stream: false, max_tokens: 600 }, { signal: abort.signal });
    while (steps() < 2) await sleep(5);
    abort.abort();
    await pending.catch(() => undefined);
    expect(await untilIdle(app, 1000)).toBeLessThan(1000);
    expect((await post(app, "/v1/completions", { ...body, stream: false, max_tokens: 1 })).status).toBe(200);
  });
});

describe("the concurrency gate", () => {
  test("takes back a slot untouched for the idle limit, telling its holder, without any timer of the holder's", () => {
    let clock = 0;
    const gate = createGate(2, 1000, () => clock);
    const reclaimed: string[] = [];
    const a = gate.enter(() => reclaimed.push("a"));
    gate.enter(() => reclaimed.push("b"));
    clock = 600;
    a.touch();
    expect(() => gate.enter(() => undefined)).toThrow(/MAX_CONCURRENT/);
    clock = 1000;
    // b has been idle for the limit, a only for 400 ms
    gate.enter(() => reclaimed.push("c"));
    expect(reclaimed).toEqual(["b"]);
    expect(gate.running).toBe(2);
    clock = 1600;
    expect(gate.running).toBe(1);
    expect(reclaimed).toEqual(["b", "a"]);
    a.release();
    expect(gate.running).toBe(1);
  });

  test("a request over MAX_CONCURRENT is a 429 JSON with Retry-After", async () => {
    const app = await testApp({ limits: { maxConcurrent: 1 } });
    const abort = new AbortController();
    const reader = (await post(app, "/v1/completions", body, { signal: abort.signal })).body!.getReader();
    await reader.read();
    const res = await post(app, "/v1/completions", { ...body, stream: false, max_tokens: 1 });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get("Retry-After"))).toBeGreaterThanOrEqual(1);
    expect(await errorOf(res)).toMatchObject({ type: "rate_limit_error", code: "too_many_concurrent_requests" });
    abort.abort();
    await reader.cancel();
  });
});
