/**
 * Loader — load something once per isolate or process, on first use, and share it. A failed
 * load is kept for a backoff that doubles with each consecutive failure (1 s, 2 s, 4 s … 60 s):
 * meanwhile every call gets the same 503 naming the cause, with `Retry-After`, instead of paying
 * for another load (seconds each). The first call after the backoff tries again, so a transient
 * failure (an asset fetch, a cold start over the CPU limit) heals itself.
 */
import { ApiError } from "./errors.js";

/** Backoff after the first failure, ms. */
export const FIRST_BACKOFF_MS = 1000;
/** Longest backoff, ms. */
export const MAX_BACKOFF_MS = 60_000;

export interface LoaderOptions {
  /** The clock, ms; injected by tests. */
  now?: () => number;
}

/** `load` wrapped so that it runs at most once at a time, its success is kept and its failure backed off. */
export function createLoader<T>(load: () => Promise<T>, options: LoaderOptions = {}): () => Promise<T> {
  const now = options.now ?? Date.now;
  let pending: Promise<T> | undefined;
  let failure: { cause: string; retryAt: number } | undefined;
  let failures = 0;
  const unavailable = (cause: string, retryAt: number): ApiError =>
    new ApiError(503, `model unavailable: ${cause}`, {
      code: "model_unavailable",
      headers: { "Retry-After": String(Math.max(1, Math.ceil((retryAt - now()) / 1000))) },
    });
  return () => {
    if (failure && now() < failure.retryAt) return Promise.reject(unavailable(failure.cause, failure.retryAt));
    pending ??= load().then(
      (value) => {
        failure = undefined;
        failures = 0;
        return value;
      },
      (err: unknown) => {
        pending = undefined;
        console.error("model load failed:", err);
        const cause = err instanceof Error ? err.message : String(err);
        failure = { cause, retryAt: now() + Math.min(FIRST_BACKOFF_MS * 2 ** failures, MAX_BACKOFF_MS) };
        failures++;
        throw unavailable(cause, failure.retryAt);
      },
    );
    return pending;
  };
}
