/**
 * Smoothing in position — a kernel average whose width grows with position.
 *
 * Early positions change fast (at t = 0 every row shares the prompt, so marginal equals
 * conditional entropy, and the rows diverge over the next tens of tokens) while later ones sit
 * on a slowly varying plateau measured with the same per-position noise. A Gaussian kernel of
 * fixed bandwidth in u = ln(1 + t/τ) (Nadaraya 1964; Watson 1964) averages about (t + τ)·h
 * positions around t: almost none at the start, hundreds at the end.
 */

export interface SmoothOptions {
  /** Kernel bandwidth in u = ln(1 + t/τ); default 0.15. */
  bandwidth?: number;
  /** Position scale τ, tokens; default 8. */
  scale?: number;
}

/**
 * Weighted Nadaraya–Watson average of `values` (one per position) with kernel width growing
 * with position. `weights[t]` ≥ 0 is how much position t was measured (e.g. episodes covering
 * it); positions with weight 0 are filled from their neighbours. Returns a new array.
 */
export function smoothInPosition(values: ArrayLike<number>, weights: ArrayLike<number> | undefined, options: SmoothOptions = {}): Float64Array {
  const { bandwidth = 0.15, scale = 8 } = options;
  if (!(bandwidth > 0)) throw new RangeError(`bandwidth must be > 0, got ${bandwidth}`);
  if (!(scale > 0)) throw new RangeError(`scale must be > 0, got ${scale}`);
  const n = values.length;
  const u = Float64Array.from({ length: n }, (_, t) => Math.log1p(t / scale));
  const out = new Float64Array(n);
  // Kernel weights below e^-12 change nothing at float64 precision worth keeping.
  const reach = bandwidth * Math.sqrt(24);
  for (let t = 0; t < n; t++) {
    let num = 0;
    let den = 0;
    let lo = t;
    while (lo > 0 && u[t]! - u[lo - 1]! <= reach) lo--;
    for (let s = lo; s < n && u[s]! - u[t]! <= reach; s++) {
      const w = (weights === undefined ? 1 : weights[s]!) * Math.exp(-0.5 * ((u[s]! - u[t]!) / bandwidth) ** 2);
      if (w > 0) {
        num += w * values[s]!;
        den += w;
      }
    }
    out[t] = den > 0 ? num / den : Number.NaN;
  }
  return out;
}
