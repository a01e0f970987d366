/**
 * Piecewise-linear tables — the interpolation shared by calibrations, offsets and schedules.
 *
 * Outside the knots the end values are held, never extrapolated: a table says nothing about
 * where it was not fitted, and the controllers' clamps and feedback handle the rest. Tables are
 * small (tens of knots), so lookups scan linearly.
 */

/** True when every element is finite and each is greater than the one before. */
export function isStrictlyIncreasing(a: readonly number[]): boolean {
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i]!) || (i > 0 && !(a[i]! > a[i - 1]!))) return false;
  }
  return true;
}

/** True when every element is finite and none is greater than the one before. */
export function isNonIncreasing(a: readonly number[]): boolean {
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i]!) || (i > 0 && a[i]! > a[i - 1]!)) return false;
  }
  return true;
}

/** Knot index i and weight w in [0, 1) with x between xs[i] and xs[i + 1]; w = 0 when held. */
function bracket(xs: readonly number[], x: number): { i: number; w: number } {
  const last = xs.length - 1;
  if (!(x > xs[0]!)) return { i: 0, w: 0 };
  if (x >= xs[last]!) return { i: last, w: 0 };
  let i = 0;
  while (xs[i + 1]! <= x) i++;
  return { i, w: (x - xs[i]!) / (xs[i + 1]! - xs[i]!) };
}

/** ys interpolated linearly at x over strictly increasing knots xs, ends held. */
export function interpolate(xs: readonly number[], ys: readonly number[], x: number): number {
  const { i, w } = bracket(xs, x);
  return w === 0 ? ys[i]! : ys[i]! + w * (ys[i + 1]! - ys[i]!);
}

/** ys (all > 0) interpolated linearly in log y at x, ends held: geometric between knots. */
export function interpolateLog(xs: readonly number[], ys: readonly number[], x: number): number {
  const { i, w } = bracket(xs, x);
  return w === 0 ? ys[i]! : Math.exp((1 - w) * Math.log(ys[i]!) + w * Math.log(ys[i + 1]!));
}
