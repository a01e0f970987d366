/**
 * Server-sent events in OpenAI's streaming format: one `data: <json>` event per chunk, then
 * `data: [DONE]`. The body pulls the next chunk only when the client reads, so a slow client
 * slows decoding instead of buffering it; when the client goes away the stream is cancelled and
 * `onCancel` stops the generation. An error mid-stream is sent as one `data: {"error": ...}`
 * event (the status line is long gone) and the stream ends without [DONE].
 *
 * A runtime may never report a client that left (local `wrangler dev` does not): the body then
 * just stops being read. So a chunk that waits longer than `idleMs` for its reader ends the
 * stream as a cancel would, with an error event for a reader that is only slow. Only the wait
 * for the reader counts, never the time the generation takes to produce a chunk.
 */
import { toApiError } from "./errors.js";
import { idleTimeout } from "./generation.js";

const encoder = new TextEncoder();

function event(data: string): Uint8Array {
  return encoder.encode(`data: ${data}\n\n`);
}

export interface SseOptions {
  /** Stop the generation behind `chunks`; called once, when the client leaves or stalls. */
  onCancel(): void;
  /** Longest wait for the client to read a chunk before the stream is aborted, ms. */
  idleMs: number;
}

/** An SSE response streaming `chunks` as JSON. */
export function sseResponse(chunks: AsyncIterable<unknown>, options: SseOptions): Response {
  const iterator = chunks[Symbol.asyncIterator]();
  let cancelled = false;
  let idle: ReturnType<typeof setTimeout> | undefined;
  const cancel = (): void => {
    clearTimeout(idle);
    if (cancelled) return;
    cancelled = true;
    options.onCancel();
    // Runs the generator's `finally` once its current step (at most one token) settles.
    void iterator.return?.();
  };
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      clearTimeout(idle);
      try {
        const { done, value } = await iterator.next();
        // A step that was in flight when the client left has nowhere to go.
        if (cancelled) return;
        if (done) {
          controller.enqueue(event("[DONE]"));
          controller.close();
          return;
        }
        controller.enqueue(event(JSON.stringify(value)));
        idle = setTimeout(() => {
          cancel();
          controller.enqueue(event(JSON.stringify(idleTimeout(options.idleMs).toJSON())));
          controller.close();
        }, options.idleMs);
      } catch (err) {
        if (cancelled) return;
        controller.enqueue(event(JSON.stringify(toApiError(err).toJSON())));
        controller.close();
      }
    },
    cancel,
  });
  return new Response(body, {
    headers: { "Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-cache", "X-Accel-Buffering": "no" },
  });
}
