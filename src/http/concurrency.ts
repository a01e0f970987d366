/**
 * Concurrency gate — at most `max` generations decode at once in this isolate or process. A
 * request over the limit gets a 429 with `Retry-After` at once rather than waiting: a queued
 * generation would hold its client for the length of every generation before it.
 *
 * A slot whose holder makes no progress — no token produced or read — for `idleMs` is taken
 * back: its holder is told to stop and the slot is freed. This does not depend on the runtime:
 * when a client leaves, workerd may neither report it nor ever resume the request's timers, so
 * the stalled generation cannot free its own slot; the next request to look at the gate does.
 */
import { ApiError } from "./errors.js";

/** What a 429 asks the client to wait, seconds: about the length of a short generation. */
export const RETRY_AFTER_S = 2;

/** A slot held by one generation. */
export interface Slot {
  /** Note progress (a token produced or read); a slot untouched for the idle limit is taken back. */
  touch(): void;
  /** Free the slot; idempotent. */
  release(): void;
}

export interface Gate {
  /**
   * Take a slot or throw a 429. `reclaim` is called when the gate takes the slot back from a
   * holder idle too long (the slot is freed right after); it must only set a flag for the holder
   * to stop on: it runs on behalf of another request, and workerd refuses one request's touching
   * another's I/O objects (a stream, or a signal tied to one).
   */
  enter(reclaim: () => void): Slot;
  /** Generations running now (idle ones taken back first). */
  readonly running: number;
}

/**
 * @param max slots (MAX_CONCURRENT)
 * @param idleMs how long a slot may go untouched before it is taken back, ms (STREAM_IDLE_MS)
 * @param now the clock, ms; injected by tests
 */
export function createGate(max: number, idleMs: number, now: () => number = Date.now): Gate {
  const held = new Set<{ touched: number; reclaim: () => void; slot: Slot }>();
  const sweep = (): void => {
    const t = now();
    for (const holder of held) {
      if (t - holder.touched < idleMs) continue;
      try {
        holder.reclaim();
      } finally {
        holder.slot.release();
      }
    }
  };
  return {
    enter(reclaim) {
      sweep();
      if (held.size >= max) {
        throw new ApiError(429, `too many concurrent generations (at most ${max}, MAX_CONCURRENT); retry shortly`, {
          code: "too_many_concurrent_requests",
          headers: { "Retry-After": String(RETRY_AFTER_S) },
        });
      }
      const holder = {
        touched: now(),
        reclaim,
        slot: {
          touch: () => {
            holder.touched = now();
          },
          release: () => {
            held.delete(holder);
          },
        },
      };
      held.add(holder);
      return holder.slot;
    },
    get running() {
      sweep();
      return held.size;
    },
  };
}
