/**
 * Concurrency gate — at most `max` generations decode at once in this isolate or process, and
 * only as many as fit its memory budget: the isolate's baseline, the bytes every admitted
 * generation holds and the largest transient of one model run stay within `budgetBytes`
 * (src/model/memory.ts estimates them). A
 * request over either limit gets a 429 with `Retry-After` at once rather than waiting: a queued
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

/** What a generation asks of the isolate's memory, bytes (src/model/memory.ts). */
export interface MemoryDemand {
  /** Held for the generation's whole life. */
  readonly bytes: number;
  /** Held only while one of its model runs is under way; runs never overlap, so only the largest counts. */
  readonly transient: number;
  /** The isolate with the model loaded and no generation running. */
  readonly baseline: number;
}

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
  enter(reclaim: () => void, demand?: MemoryDemand): Slot;
  /** Generations running now (idle ones taken back first). */
  readonly running: number;
  /** Estimated bytes of the generations running now: what they hold and the largest transient of a run. */
  readonly reserved: number;
}

/**
 * @param max slots (MAX_CONCURRENT)
 * @param idleMs how long a slot may go untouched before it is taken back, ms (STREAM_IDLE_MS)
 * @param now the clock, ms; injected by tests
 * @param budgetBytes the isolate's memory budget, bytes (MEMORY_BUDGET_MB)
 */
export function createGate(max: number, idleMs: number, now: () => number = Date.now, budgetBytes = Number.POSITIVE_INFINITY): Gate {
  const held = new Set<{ touched: number; reclaim: () => void; bytes: number; transient: number; slot: Slot }>();
  /** What the running generations hold, and the largest transient of one of their runs. */
  const totals = (): { bytes: number; transient: number } => {
    let bytes = 0;
    let transient = 0;
    for (const holder of held) {
      bytes += holder.bytes;
      transient = Math.max(transient, holder.transient);
    }
    return { bytes, transient };
  };
  const reserved = (): number => {
    const t = totals();
    return t.bytes + t.transient;
  };
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
    enter(reclaim, demand) {
      sweep();
      if (held.size >= max) {
        throw new ApiError(429, `too many concurrent generations (at most ${max}, MAX_CONCURRENT); retry shortly`, {
          code: "too_many_concurrent_requests",
          headers: { "Retry-After": String(RETRY_AFTER_S) },
        });
      }
      const bytes = demand?.bytes ?? 0;
      const transient = demand?.transient ?? 0;
      const others = totals();
      if (demand && demand.baseline + others.bytes + bytes + Math.max(others.transient, transient) > budgetBytes) {
        const mib = (b: number): string => (b / 2 ** 20).toFixed(1);
        throw new ApiError(
          429,
          `not enough memory for this generation now: it needs an estimated ${mib(bytes + transient)} MiB and ${mib(others.bytes + others.transient)} MiB are held by ${held.size} running, of the ${mib(budgetBytes - demand.baseline)} MiB that MEMORY_BUDGET_MB leaves beside the model; retry shortly`,
          { code: "memory_budget_exceeded", headers: { "Retry-After": String(RETRY_AFTER_S) } },
        );
      }
      const holder = {
        touched: now(),
        reclaim,
        bytes,
        transient,
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
    get reserved() {
      sweep();
      return reserved();
    },
  };
}
