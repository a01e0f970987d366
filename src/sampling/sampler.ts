/**
 * Sampler — the unit of the decode pipeline, after llama.cpp's sampler chain (llama-sampler.cpp).
 *
 * `apply` proposes (reads and writes the Step), `accept` commits (the tokens the loop kept),
 * `reset` forgets per-request state. Controllers change their state only in `accept`, so a
 * step that is applied and then discarded leaves no trace.
 */
import type { Step } from "./step.js";

export interface Sampler {
  /** Short name for telemetry and errors, e.g. "top-p". */
  readonly name: string;
  apply(step: Step): void;
  /** Called once per step with the tokens chosen for each row (-1 for inactive rows). */
  accept?(tokens: Int32Array, step: Step): void;
  reset?(): void;
}
