/**
 * Target table — a quantity fitted per target and position (the proxy's marginal − conditional
 * offset, the gap between a k-row and a 30-row marginal), interpolated like the schedules:
 * linearly in position between knots, and linearly in target between the fitted targets, ends
 * held. The gap between marginal and conditional entropy shrinks as the target rises (≈ 2.0 nats
 * at 3.5, ≈ 1.3 at 6.5 on the default model), so one curve pooled over targets reads high at one
 * end of the range and low at the other.
 */
import { interpolate, isStrictlyIncreasing } from "./piecewise.js";

export interface TargetTable {
  /** Fitted targets, nats, strictly increasing. */
  readonly targets: readonly number[];
  /** Knot positions (token index t), strictly increasing, shared by every target. */
  readonly positions: readonly number[];
  /** values[i][j]: the quantity at targets[i] and positions[j], nats. */
  readonly values: readonly (readonly number[])[];
}

/** `table` if it is usable; otherwise a RangeError naming the bad field (prefixed by `field`). */
export function validateTargetTable(table: TargetTable, field = "table"): TargetTable {
  const { targets, positions, values } = table;
  if (targets.length < 1 || !isStrictlyIncreasing(targets)) throw new RangeError(`${field}.targets must be non-empty, finite and strictly increasing`);
  if (positions.length < 1 || !isStrictlyIncreasing(positions)) throw new RangeError(`${field}.positions must be non-empty, finite and strictly increasing`);
  if (values.length !== targets.length) throw new RangeError(`${field}.values must have one row per target (${targets.length}), got ${values.length}`);
  values.forEach((row, i) => {
    if (row.length !== positions.length || !row.every(Number.isFinite)) {
      throw new RangeError(`${field}.values[${i}] must hold ${positions.length} finite values`);
    }
  });
  return table;
}

/** The table's value at `target` as a function of position (the row a controller needs). */
export function tableAtTarget(table: TargetTable, target: number): (position: number) => number {
  const { targets, positions, values } = validateTargetTable(table);
  // Blend the two bracketing targets' rows once; a controller then looks up one row per step.
  const row = positions.map((_, j) =>
    interpolate(
      targets,
      values.map((r) => r[j]!),
      target,
    ),
  );
  return (position) => interpolate(positions, row, position);
}
