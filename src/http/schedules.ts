/**
 * GET /v1/schedules — the fitted data behind the `schedule` and `proxy` modes for the loaded
 * model: the fitted targets (a `schedule` request must lie within their range) and a summary of
 * the proxy calibration with the per-target tables that put every mode's target on the 30-row
 * scale. Nulls mean the mode will degrade, as plan.ts reports per request;
 * `degraded` and `broken_files` say how and why.
 */
import { Hono } from "hono";
import { targetRange } from "../control/schedule.js";
import { catalogStatus } from "./catalog-status.js";
import type { RouteDeps } from "./deps.js";
import { servedModel } from "./served-model.js";

export function schedules(deps: RouteDeps): Hono {
  return new Hono().get("/v1/schedules", async (c) => {
    const { model, catalog } = await deps.getModel();
    const { schedules: set, calibration } = catalog;
    return c.json({
      ...servedModel(model, catalog),
      /** Fitted targets, nats, ascending, with their knot counts. */
      schedules: (set?.schedules ?? []).map((s) => ({ target: s.target, knots: s.positions.length })),
      /** [lowest, highest] fitted target, nats. */
      target_range: set ? targetRange(set) : null,
      calibration: calibration
        ? {
            statistic: calibration.statistic,
            knots: calibration.x.length,
            gain: calibration.gain,
            heldout: { mae: calibration.heldout.mae, spearman: calibration.heldout.spearman },
            /** Targets the per-row offset (marginal − conditional) is fitted at; null: one pooled curve. */
            offset_targets: calibration.offsets ? calibration.offsets.targets : null,
            /** Request sizes n whose 30-row − n-row gap is fitted (marginal mode), with the targets fitted. */
            marginal_gaps: (calibration.marginalGaps ?? []).map((g) => ({ n: g.rows, targets: g.table.targets })),
          }
        : null,
      ...catalogStatus(catalog),
    });
  });
}
