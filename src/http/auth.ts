/**
 * API-key auth — when the deployment sets an API_KEY secret, every request must carry
 * `Authorization: Bearer <key>`; without the secret the API is open. Keys are compared in
 * constant time (hono's `timingSafeEqual` compares SHA-256 digests), so response timing says
 * nothing about how much of a guess was right.
 */
import type { MiddlewareHandler } from "hono";
import { timingSafeEqual } from "hono/utils/buffer";
import { ApiError } from "./errors.js";

const BEARER = /^Bearer\s+(.+)$/i;

/** Middleware requiring `apiKey` as a bearer token; a no-op when `apiKey` is undefined or empty. */
export function apiKeyAuth(apiKey: string | undefined): MiddlewareHandler {
  return async function apiKeyAuth(c, next) {
    if (apiKey) {
      const token = BEARER.exec(c.req.header("Authorization") ?? "")?.[1]?.trim();
      if (token === undefined || !(await timingSafeEqual(token, apiKey))) {
        throw new ApiError(401, "missing or invalid API key: send 'Authorization: Bearer <key>'", { code: "invalid_api_key" });
      }
    }
    await next();
  };
}
