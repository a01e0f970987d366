/**
 * Grouped sampler — independent requests simulated inside one batch: the rows are split into
 * consecutive groups of `size`, and each group gets its own sampler (its own controller state),
 * which sees only its rows as active. The evaluation uses it to run e.g. eight `marginal`
 * requests of n = 4 as one 32-row rollout: each group's controller measures the marginal entropy
 * of its own 4 rows, exactly as the API's batch of n = 4 would.
 */
import type { Sampler } from "../sampling/sampler.js";
import type { Step } from "../sampling/step.js";

/** One sampler per group of `size` consecutive rows (the last group may be smaller). */
export function createGroupedSampler(rows: number, size: number, create: (group: number) => Sampler): Sampler {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`size must be an integer >= 1, got ${size}`);
  if (!Number.isInteger(rows) || rows < 1) throw new RangeError(`rows must be an integer >= 1, got ${rows}`);
  const groups = Array.from({ length: Math.ceil(rows / size) }, (_, g) => create(g));
  const saved = new Uint8Array(rows);
  /** Runs `f` on each group with `step.active` masked to its rows, then restores the mask. */
  const each = (step: Step, f: (sampler: Sampler) => void): void => {
    if (step.rows !== rows) throw new RangeError(`grouped sampler built for ${rows} rows, step has ${step.rows}`);
    saved.set(step.active);
    try {
      groups.forEach((sampler, g) => {
        step.active.fill(0);
        for (let b = g * size; b < Math.min(rows, (g + 1) * size); b++) step.active[b] = saved[b]!;
        f(sampler);
      });
    } finally {
      step.active.set(saved);
    }
  };
  return {
    name: `grouped(${groups[0]!.name} × ${groups.length})`,
    apply: (step) => each(step, (s) => s.apply(step)),
    accept: (tokens, step) => each(step, (s) => s.accept?.(tokens, step)),
    reset: () => {
      for (const s of groups) s.reset?.();
    },
  };
}
