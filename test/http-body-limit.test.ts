/**
 * A body over MAX_BODY_BYTES is always a 413 JSON: the oversized rest is drained first, so a
 * client still sending gets the answer rather than a reset, over a real socket too.
 */

import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { afterAll, describe, expect, test } from "vitest";
import { DRAIN_FACTOR } from "../src/http/body-limit.js";
import { errorOf, nodeModel, testApp } from "./helpers/http.js";

const model = await nodeModel();
const app = await testApp({ limits: { maxBodyBytes: 1000 } });

/** A body of `chunks` × 500 bytes that counts how many chunks were read. */
function countedBody(chunks: number): { body: ReadableStream<Uint8Array>; read: () => number } {
  let read = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (read === chunks) return controller.close();
      read++;
      controller.enqueue(new Uint8Array(500).fill(32));
    },
  });
  return { body, read: () => read };
}

const request = (body: BodyInit, headers: Record<string, string> = {}) =>
  app.request("/v1/completions", { method: "POST", body, headers: { "Content-Type": "application/json", ...headers }, duplex: "half" } as RequestInit);

describe("MAX_BODY_BYTES", () => {
  test("a declared Content-Length over the limit is a 413 JSON, after the body is drained", async () => {
    const { body, read } = countedBody(10);
    const res = await request(body, { "Content-Length": "5000" });
    expect(res.status).toBe(413);
    expect(await errorOf(res)).toMatchObject({ code: "request_too_large", type: "invalid_request_error" });
    expect(read()).toBe(10);
  });

  test("a streamed body that runs past the limit is a 413 JSON; the drain stops at its cap", async () => {
    const { body, read } = countedBody(1000);
    const res = await request(body);
    expect(res.status).toBe(413);
    expect((await errorOf(res)).code).toBe("request_too_large");
    expect(read()).toBeLessThanOrEqual((DRAIN_FACTOR * 1000) / 500 + 4);
  });

  test("a streamed body within the limit is read as usual", async () => {
    const json = new TextEncoder().encode(JSON.stringify({ model: model.name, prompt: "x", max_tokens: 1 }));
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(json);
        controller.close();
      },
    });
    expect((await request(body)).status).toBe(200);
  });

  test("oversized bodies sent in quick succession to the Node server all get the 413 JSON", async () => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
    await new Promise((resolve) => server.once("listening", resolve));
    const { port } = server.address() as AddressInfo;
    const big = JSON.stringify({ model: model.name, prompt: "x".repeat(200_000) });
    const answers = await Promise.all(
      Array.from({ length: 30 }, async () => {
        const res = await fetch(`http://127.0.0.1:${port}/v1/completions`, { method: "POST", headers: { "Content-Type": "application/json" }, body: big });
        return { status: res.status, type: res.headers.get("Content-Type"), code: (await errorOf(res)).code };
      }),
    );
    for (const a of answers) expect(a).toEqual({ status: 413, type: expect.stringMatching(/^application\/json/), code: "request_too_large" });
  });
});
