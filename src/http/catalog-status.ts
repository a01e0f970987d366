/**
 * Catalog status — what /healthz and /v1/schedules say about the fitted data: the files left out
 * as unusable, with their reasons, and each mode that runs degraded or not at all for lack of a
 * file, with what it does instead (the same substitutions plan.ts reports per request).
 */
import type { Catalog } from "../control/catalog.js";

export interface CatalogStatus {
  /** Fitted files that could not be used (malformed, invalid, for another model, missing). */
  broken_files: { file: string; error: string }[];
  /** Modes that do not run as asked, and why. */
  degraded: { mode: string; reason: string }[];
}

export function catalogStatus(catalog: Catalog): CatalogStatus {
  const broken = catalog.broken ?? [];
  const because = broken.length > 0 ? " (see broken_files)" : "";
  const degraded = [];
  if (!catalog.calibration) {
    degraded.push(
      {
        mode: "proxy",
        reason: `no usable proxy calibration${because}: proxy runs the fitted schedule for its target, or exact control where no schedule covers it`,
      },
      { mode: "exact", reason: `no usable calibration${because}: each row's conditional entropy is held at the target, not the 30-row marginal` },
      { mode: "marginal", reason: `no usable calibration${because}: the target is the marginal over the request's own n rows, not over 30` },
    );
  }
  if (!catalog.schedules) degraded.push({ mode: "schedule", reason: `no usable fitted schedules${because}: schedule requests are refused` });
  return { broken_files: broken.map((f) => ({ file: f.name, error: f.error })), degraded };
}
