/**
 * Fit metrics — how far a measured marginal-entropy profile sits from its target, and how well
 * a proxy table ranks and predicts entropy. Pure functions over arrays; nats throughout.
 */

/** Window labels and bounds [from, to) reported for every fit, tokens. */
export const WINDOWS: readonly (readonly [number, number])[] = [
  [0, 10],
  [10, 50],
  [50, 300],
  [300, 1000],
];

/** Share of the target a window's mean may miss by and still count as held (the fitting issue's criterion). */
export const TOLERANCE = 0.02;

/** The same for one prompt on its own: what a caller sending that prompt may get (the per-prompt criterion). */
export const PROMPT_TOLERANCE = 0.03;

/** "0-10" for [0, 10): the key a window's bias is stored under. */
export function windowLabel([from, to]: readonly [number, number]): string {
  return `${from}-${to}`;
}

/**
 * A profile measured over several episodes: per position t, the sum over the episodes that
 * reached t of a quantity (e.g. marginal entropy, or its squared error) and their count.
 */
export interface Profile {
  sum: Float64Array;
  count: Float64Array;
}

/** An empty profile over `n` positions. */
export function createProfile(n: number): Profile {
  return { sum: new Float64Array(n), count: new Float64Array(n) };
}

/** Adds one episode's values (positions 0 … values.length−1) into `profile`. Mutates `profile`. */
export function addToProfileInPlace(profile: Profile, values: ArrayLike<number>): void {
  const n = Math.min(values.length, profile.sum.length);
  for (let t = 0; t < n; t++) {
    profile.sum[t] = profile.sum[t]! + values[t]!;
    profile.count[t] = profile.count[t]! + 1;
  }
}

/** Per-position mean of a profile; NaN where no episode reached. */
export function profileMean(profile: Profile): Float64Array {
  return profile.sum.map((s, t) => (profile.count[t]! > 0 ? s / profile.count[t]! : Number.NaN));
}

/**
 * Fills every NaN that follows a finite value with the last finite value before it (a curve
 * measured up to a window holds its end beyond it, as tables do). Mutates and returns `values`.
 */
export function holdLastInPlace(values: Float64Array): Float64Array {
  let last = Number.NaN;
  for (let t = 0; t < values.length; t++) {
    if (Number.isFinite(values[t]!)) last = values[t]!;
    else if (Number.isFinite(last)) values[t] = last;
  }
  return values;
}

/**
 * Mean over positions [from, to) of a per-position quantity, each position weighted by how many
 * episodes reached it; NaN when none did. With sum = Σ (H − target) this is the window's bias;
 * with sum = Σ (H − target)², its mean squared error.
 */
export function windowMean(profile: Profile, from: number, to: number): number {
  let s = 0;
  let c = 0;
  for (let t = from; t < Math.min(to, profile.sum.length); t++) {
    s += profile.sum[t]!;
    c += profile.count[t]!;
  }
  return c > 0 ? s / c : Number.NaN;
}

/** Ranks 1 … n, ties given their average rank. */
function ranks(a: ArrayLike<number>): Float64Array {
  const order = Array.from({ length: a.length }, (_, i) => i).sort((i, j) => a[i]! - a[j]!);
  const r = new Float64Array(a.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && a[order[j + 1]!] === a[order[i]!]) j++;
    for (let k = i; k <= j; k++) r[order[k]!] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return r;
}

/** Spearman's rank correlation (Pearson on average ranks); NaN when either side is constant. */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`a and b must have the same length, got ${a.length} and ${b.length}`);
  const ra = ranks(a);
  const rb = ranks(b);
  const mean = (ra.length + 1) / 2;
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < ra.length; i++) {
    ab += (ra[i]! - mean) * (rb[i]! - mean);
    aa += (ra[i]! - mean) ** 2;
    bb += (rb[i]! - mean) ** 2;
  }
  return aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : Number.NaN;
}

/** Mean absolute difference. */
export function meanAbsoluteError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length || a.length === 0) throw new RangeError("a and b must be non-empty and of the same length");
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]! - b[i]!);
  return s / a.length;
}
