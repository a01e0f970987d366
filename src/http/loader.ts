/**
 * Loader — load something once per isolate or process, on first use, and share it. A failed
 * load is not cached: callers waiting on it get a 503 naming the cause, and the next call tries
 * again, so a transient failure (an asset fetch, a cold start over the CPU limit) heals itself.
 */
import { ApiError } from "./errors.js";

/** `load` wrapped so that it runs at most once at a time and its success is kept. */
export function createLoader<T>(load: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= load().catch((err: unknown) => {
      pending = undefined;
      console.error("model load failed:", err);
      const cause = err instanceof Error ? err.message : String(err);
      throw new ApiError(503, `model unavailable: ${cause}`, { code: "model_unavailable" });
    });
    return pending;
  };
}
