/**
 * Sweep — what rollouts at a grid of fixed temperatures tell every fit that follows.
 *
 * For each grid temperature T_j we have the marginal entropy per position, H_j(t). Because H
 * rises monotonically with T (about linearly in log T), interpolating between grid points in
 * log T gives, per position, the temperature that would hit a target there — the starting curve
 * of a fit — and the local slope dH/dlog T that scales its updates; and, over all positions, the
 * one fixed temperature that matches the target on average (the baseline a schedule must beat).
 */

/** The grid bracket of `h` in `values` (ascending in the grid): index j with h between values[j], values[j+1]. */
function bracket(values: readonly number[], h: number): number {
  let j = 0;
  while (j + 2 < values.length && values[j + 1]! < h) j++;
  return j;
}

/**
 * log T at which the piecewise-linear (in log T) curve through (log temps[j], values[j]) reaches
 * `h`; beyond the grid, the end segment's line is extended. `temps` ascending, ≥ 2 of them.
 */
function solveLogT(temps: readonly number[], values: readonly number[], h: number): { logT: number; slope: number } {
  const j = bracket(values, h);
  const x0 = Math.log(temps[j]!);
  const x1 = Math.log(temps[j + 1]!);
  const slope = (values[j + 1]! - values[j]!) / (x1 - x0);
  if (!(slope > 0)) return { logT: Math.abs(h - values[j]!) < Math.abs(h - values[j + 1]!) ? x0 : x1, slope: Number.NaN };
  return { logT: x0 + (h - values[j]!) / slope, slope };
}

function checkGrid(temps: readonly number[]): void {
  if (temps.length < 2) throw new RangeError("a sweep needs at least 2 temperatures");
  for (let j = 0; j < temps.length; j++) {
    if (!(temps[j]! > 0) || (j > 0 && !(temps[j]! > temps[j - 1]!))) throw new RangeError("sweep temperatures must be > 0 and strictly increasing");
  }
}

/**
 * The fixed temperature whose mean marginal entropy (`means[j]` at `temps[j]`) equals `target`,
 * by interpolation in log T. Throws a RangeError when the target lies outside the swept means:
 * extrapolating the baseline would misstate it.
 */
export function matchFixedTemperature(temps: readonly number[], means: readonly number[], target: number): number {
  checkGrid(temps);
  const lo = Math.min(...means);
  const hi = Math.max(...means);
  if (!(target >= lo && target <= hi)) {
    throw new RangeError(`target ${target} nats is outside what the swept temperatures [${temps[0]}, ${temps[temps.length - 1]}] reach on average [${lo.toFixed(3)}, ${hi.toFixed(3)}]`);
  }
  return Math.exp(solveLogT(temps, means, target).logT);
}

export interface StartingCurve {
  /** Temperature per position that hits the target under the sweep, clamped to [tMin, tMax]. */
  temperatures: Float64Array;
  /** dH/dlog T per position around that temperature, nats, floored at `minSlope`. */
  slope: Float64Array;
}

/**
 * Per position t, solve H_j(t) = target across the grid (`profiles[j][t]`, smoothed beforehand
 * by the caller) for the starting temperature and the slope there.
 */
export function startingCurve(temps: readonly number[], profiles: readonly ArrayLike<number>[], target: number, options: { tMin?: number; tMax?: number; minSlope?: number } = {}): StartingCurve {
  checkGrid(temps);
  if (profiles.length !== temps.length) throw new RangeError(`profiles must have one curve per temperature (${temps.length}), got ${profiles.length}`);
  const { tMin = 0.05, tMax = 4, minSlope = 0.2 } = options;
  const n = profiles[0]!.length;
  const temperatures = new Float64Array(n);
  const slope = new Float64Array(n);
  for (let t = 0; t < n; t++) {
    const values = profiles.map((p) => p[t]!);
    const { logT, slope: g } = solveLogT(temps, values, target);
    temperatures[t] = Math.min(tMax, Math.max(tMin, Math.exp(logT)));
    slope[t] = Number.isNaN(g) ? minSlope : Math.max(minSlope, g);
  }
  return { temperatures, slope };
}
