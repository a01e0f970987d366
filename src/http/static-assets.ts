/**
 * Static assets — the playground and the model files, on every path the API does not own. GET
 * and HEAD are served by the host's `serve` (the Worker's ASSETS binding, or files on disk); any
 * other method on a file that exists is a 405 JSON with `Allow`; anything else falls through to
 * the app's JSON 404. Registered after the routes, so it sees only paths no route answered.
 */
import type { MiddlewareHandler } from "hono";
import { ApiError } from "./errors.js";

/** Paths the API answers; every other path is a static file when one exists. */
export const isApiPath = (path: string): boolean => path === "/healthz" || path.startsWith("/v1/");

/**
 * @param serve answers a GET or HEAD for a static path, or calls `next` when there is no such file
 * @param exists whether a static file answers `path`
 */
export function staticAssets(serve: MiddlewareHandler, exists: (path: string) => Promise<boolean>): MiddlewareHandler {
  return async function staticAssets(c, next) {
    if (isApiPath(c.req.path)) return next();
    if (c.req.method === "GET" || c.req.method === "HEAD") return serve(c, next);
    if (!(await exists(c.req.path))) return next();
    throw new ApiError(405, `${c.req.method} is not allowed on static file ${c.req.path}; use GET or HEAD`, {
      code: "method_not_allowed",
      headers: { Allow: "GET, HEAD" },
    });
  };
}
