/**
 * Concurrency gate — at most `max` generations decode at once in this isolate or process. A
 * request over the limit gets a 429 at once rather than waiting: a queued generation would hold
 * its client for the length of every generation before it. The 429 carries `Retry-After`.
 */
import { ApiError } from "./errors.js";

/** What a 429 asks the client to wait, seconds: about the length of a short generation. */
export const RETRY_AFTER_S = 2;

export interface Gate {
  /** Take a slot or throw a 429. The returned release is idempotent. */
  enter(): () => void;
  /** Generations running now. */
  readonly running: number;
}

export function createGate(max: number): Gate {
  let running = 0;
  return {
    enter() {
      if (running >= max) {
        throw new ApiError(429, `too many concurrent generations (at most ${max}, MAX_CONCURRENT); retry shortly`, {
          code: "too_many_concurrent_requests",
          headers: { "Retry-After": String(RETRY_AFTER_S) },
        });
      }
      running++;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        running--;
      };
    },
    get running() {
      return running;
    },
  };
}
