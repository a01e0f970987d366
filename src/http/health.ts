/**
 * GET /healthz — readiness: 200 once the model and its catalog are loaded (the first call
 * loads them), the 503 of the loader while they cannot be. Never behind the API key. "degraded"
 * when a fitted file is broken: the API serves, and says which modes run otherwise and why.
 */
import { Hono } from "hono";
import { catalogStatus } from "./catalog-status.js";
import type { RouteDeps } from "./deps.js";
import { servedModel } from "./served-model.js";

export function health(deps: RouteDeps): Hono {
  return new Hono().get("/healthz", async (c) => {
    const { model, catalog } = await deps.getModel();
    return c.json({
      status: catalog.broken ? "degraded" : "ok",
      ...servedModel(model, catalog),
      /** Generations decoding now, of at most MAX_CONCURRENT. */
      running: deps.gate.running,
      schedules: catalog.schedules?.schedules.length ?? 0,
      calibration: catalog.calibration !== undefined,
      ...catalogStatus(catalog),
    });
  });
}
