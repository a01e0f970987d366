/**
 * Body limit — a request body over `maxBytes` is a 413 JSON, whether its Content-Length says so
 * or it streams past the limit. What is left of an oversized body is read and dropped (up to
 * DRAIN_FACTOR × the limit, then cancelled) before the answer: a client still sending when the
 * server answers early may otherwise see its connection reset, or a proxy's plain-text 503,
 * instead of the 413.
 */
import type { MiddlewareHandler } from "hono";
import { ApiError } from "./errors.js";

/** How much of an oversized body is drained before it is cancelled, in multiples of the limit. */
export const DRAIN_FACTOR = 16;

/** Read and drop up to `cap` bytes of what `reader` has left, then cancel it. */
async function discard(reader: ReadableStreamDefaultReader<Uint8Array>, cap: number): Promise<void> {
  try {
    for (let seen = 0; seen <= cap; ) {
      const { done, value } = await reader.read();
      if (done) return;
      seen += value.byteLength;
    }
    await reader.cancel();
  } catch {
    // A client that is gone has nothing left to drain.
  }
}

export function bodyLimit(maxBytes: number): MiddlewareHandler {
  const tooLarge = () => new ApiError(413, `request body is larger than ${maxBytes} bytes (MAX_BODY_BYTES)`, { code: "request_too_large" });
  return async function bodyLimit(c, next) {
    const body = c.req.raw.body;
    if (!body) return next();
    const declared = c.req.header("Content-Length");
    if (declared !== undefined && c.req.header("Transfer-Encoding") === undefined) {
      if (Number(declared) <= maxBytes) return next();
      await discard(body.getReader(), DRAIN_FACTOR * maxBytes);
      throw tooLarge();
    }
    const reader = body.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      size += r.value.byteLength;
      if (size > maxBytes) {
        await discard(reader, DRAIN_FACTOR * maxBytes);
        throw tooLarge();
      }
      chunks.push(r.value);
    }
    const whole = new Uint8Array(size);
    let offset = 0;
    for (const chunk of chunks) {
      whole.set(chunk, offset);
      offset += chunk.byteLength;
    }
    c.req.raw = new Request(c.req.raw, { body: whole });
    return next();
  };
}
