/**
 * Isotonic regression — the least-squares non-increasing fit by pool-adjacent-violators
 * (Ayer et al. 1955; Barlow et al. 1972), and the monotone table built from it on quantile bins.
 *
 * Entropy falls as a scale-carrying logit statistic grows, and the proxy controller inverts the
 * table in closed form, so the table must be non-increasing — which PAVA guarantees without
 * assuming a parametric shape.
 */

/** The weighted least-squares non-increasing fit to `y` (weights > 0), in input order. */
export function isotonicNonIncreasing(y: ArrayLike<number>, weights?: ArrayLike<number>): Float64Array {
  const n = y.length;
  const value: number[] = [];
  const weight: number[] = [];
  const size: number[] = [];
  for (let i = 0; i < n; i++) {
    const w = weights === undefined ? 1 : weights[i]!;
    if (!(w > 0)) throw new RangeError(`weights[${i}] must be > 0, got ${w}`);
    value.push(y[i]!);
    weight.push(w);
    size.push(1);
    // A block above its left neighbour violates non-increase: pool them into their mean.
    while (value.length > 1 && value[value.length - 1]! > value[value.length - 2]!) {
      const w2 = weight.pop()!;
      const v2 = value.pop()!;
      const s2 = size.pop()!;
      const k = value.length - 1;
      value[k] = (value[k]! * weight[k]! + v2 * w2) / (weight[k]! + w2);
      weight[k] = weight[k]! + w2;
      size[k] = size[k]! + s2;
    }
  }
  const out = new Float64Array(n);
  let i = 0;
  value.forEach((v, k) => {
    out.fill(v, i, i + size[k]!);
    i += size[k]!;
  });
  return out;
}

export interface MonotoneTable {
  /** Bin means of x, strictly increasing. */
  x: number[];
  /** Fitted y at each x, non-increasing. */
  y: number[];
}

/**
 * A non-increasing table of y against x: sort the samples by x, average them in `bins`
 * equal-count bins, and fit the bin means by PAVA weighted by bin size. Bins whose mean x ties
 * the previous one are merged, so x is strictly increasing. Needs at least 2 distinct x.
 */
export function fitMonotoneTable(x: ArrayLike<number>, y: ArrayLike<number>, bins = 32): MonotoneTable {
  const n = x.length;
  if (y.length !== n) throw new RangeError(`x and y must have the same length, got ${n} and ${y.length}`);
  if (!Number.isInteger(bins) || bins < 2) throw new RangeError(`bins must be an integer >= 2, got ${bins}`);
  const order = Array.from({ length: n }, (_, i) => i).filter((i) => Number.isFinite(x[i]!) && Number.isFinite(y[i]!));
  order.sort((a, b) => x[a]! - x[b]!);
  const mx: number[] = [];
  const my: number[] = [];
  const mw: number[] = [];
  const m = order.length;
  for (let k = 0; k < bins; k++) {
    const from = Math.floor((k * m) / bins);
    const to = Math.floor(((k + 1) * m) / bins);
    if (to <= from) continue;
    let sx = 0;
    let sy = 0;
    for (let j = from; j < to; j++) {
      sx += x[order[j]!]!;
      sy += y[order[j]!]!;
    }
    const cx = sx / (to - from);
    const last = mx.length - 1;
    if (last >= 0 && !(cx > mx[last]!)) {
      const w = mw[last]! + (to - from);
      mx[last] = (mx[last]! * mw[last]! + sx) / w;
      my[last] = (my[last]! * mw[last]! + sy) / w;
      mw[last] = w;
    } else {
      mx.push(cx);
      my.push(sy / (to - from));
      mw.push(to - from);
    }
  }
  if (mx.length < 2) throw new RangeError("need samples at two or more distinct x");
  return { x: mx, y: Array.from(isotonicNonIncreasing(my, mw)) };
}
