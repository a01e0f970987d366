/**
 * Bench statistics — interleaved repetitions, medians, quartiles and ratios of pairs.
 *
 * A benchmark runs A, B, A, B, … and divides each A by the B beside it, so drift of the machine
 * (another job, thermal or frequency changes) that is slow next to one pair cancels in its ratio.
 * The median of those ratios is the result; the interquartile range is its spread. Everything
 * here is pure but `interleave`, which only calls the arms it is given.
 */

/** Median and quartiles of a sample, and its size. */
export interface Spread {
  readonly median: number;
  readonly q1: number;
  readonly q3: number;
  readonly n: number;
}

/** The q-quantile (0 ≤ q ≤ 1) with linear interpolation between order statistics (Hyndman & Fan type 7). */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) throw new RangeError("quantile of an empty sample");
  if (!(q >= 0 && q <= 1)) throw new RangeError(`q must be in [0, 1], got ${q}`);
  const sorted = [...xs].sort((a, b) => a - b);
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

export function median(xs: readonly number[]): number {
  return quantile(xs, 0.5);
}

/** Median, first and third quartile of `xs` (non-empty). */
export function spreadOf(xs: readonly number[]): Spread {
  return { median: quantile(xs, 0.5), q1: quantile(xs, 0.25), q3: quantile(xs, 0.75), n: xs.length };
}

/** a_i / b_i for each interleaved pair; the samples must pair up one to one. */
export function pairRatios(a: readonly number[], b: readonly number[]): number[] {
  if (a.length !== b.length) throw new RangeError(`pairs need as many A as B samples, got ${a.length} and ${b.length}`);
  if (a.length === 0) throw new RangeError("no pairs");
  return a.map((x, i) => x / b[i]!);
}

/** The spread of the per-pair ratios a_i / b_i. */
export function ratioOfPairs(a: readonly number[], b: readonly number[]): Spread {
  return spreadOf(pairRatios(a, b));
}

/**
 * Run `rounds` rounds of every arm, one after another, and return each arm's results by round
 * (`result[arm][round]`). The order rotates by one arm per round (A B C, B C A, C A B, …), so no
 * arm always runs first, after a warm cache or right after a given other arm.
 */
export async function interleave(rounds: number, arms: readonly (() => Promise<number>)[]): Promise<number[][]> {
  if (!Number.isInteger(rounds) || rounds < 1) throw new RangeError(`rounds must be a positive integer, got ${rounds}`);
  const out = arms.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < arms.length; k++) {
      const i = (r + k) % arms.length;
      out[i]![r] = await arms[i]!();
    }
  }
  return out;
}
