/**
 * Server-sent events in OpenAI's streaming format: one `data: <json>` event per chunk, then
 * `data: [DONE]`. The body pulls the next chunk only when the client reads, so a slow client
 * slows decoding instead of buffering it; when the client goes away the stream is cancelled and
 * `onCancel` stops the generation. An error mid-stream is sent as one `data: {"error": ...}`
 * event (the status line is long gone) and the stream ends without [DONE].
 */
import { toApiError } from "./errors.js";

const encoder = new TextEncoder();

function event(data: string): Uint8Array {
  return encoder.encode(`data: ${data}\n\n`);
}

/** An SSE response streaming `chunks` as JSON. */
export function sseResponse(chunks: AsyncIterable<unknown>, onCancel: () => void): Response {
  const iterator = chunks[Symbol.asyncIterator]();
  let cancelled = false;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
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
      } catch (err) {
        if (cancelled) return;
        controller.enqueue(event(JSON.stringify(toApiError(err).toJSON())));
        controller.close();
      }
    },
    cancel() {
      cancelled = true;
      onCancel();
      // Runs the generator's `finally` once its current step (at most one token) settles.
      void iterator.return?.();
    },
  });
  return new Response(body, {
    headers: { "Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-cache", "X-Accel-Buffering": "no" },
  });
}
