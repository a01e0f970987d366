/**
 * App — the HTTP API as one Hono app, independent of where it runs: the Worker entry and the
 * Node server build it with their own model loader. Auth and the body limit guard /v1; every
 * error, including unknown routes, leaves as OpenAI-style JSON.
 */
import { Hono } from "hono";
import { apiKeyAuth } from "./auth.js";
import { bodyLimit } from "./body-limit.js";
import { chat } from "./chat.js";
import { completions } from "./completions.js";
import { createGate } from "./concurrency.js";
import type { AppDeps, RouteDeps } from "./deps.js";
import { ApiError, onError } from "./errors.js";
import { health } from "./health.js";
import { models } from "./models.js";
import { schedules } from "./schedules.js";

export function createApp(deps: AppDeps): Hono {
  const routeDeps: RouteDeps = { ...deps, gate: createGate(deps.limits.maxConcurrent, deps.limits.streamIdleMs, Date.now, deps.limits.memoryBudgetMb * 2 ** 20) };
  const app = new Hono();
  app.onError(onError);
  app.notFound((c) => new ApiError(404, `no route for ${c.req.method} ${c.req.path}`, { code: "not_found" }).getResponse());
  app.use("/v1/*", apiKeyAuth(deps.apiKey));
  app.use("/v1/*", bodyLimit(deps.limits.maxBodyBytes));
  app.route("/", health(routeDeps));
  app.route("/", models(routeDeps));
  app.route("/", schedules(routeDeps));
  app.route("/", completions(routeDeps));
  app.route("/", chat(routeDeps));
  return app;
}
