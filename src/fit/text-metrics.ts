/**
 * Text metrics — what entropy numbers do not show directly: repetition inside one sample and
 * similarity across samples, computed on token ids. Pure functions; every row is one sample's
 * generated ids (the prompt excluded).
 *
 * - distinct-n (Li et al. 2016, "A Diversity-Promoting Objective Function for Neural
 *   Conversation Models"): unique n-grams / n-grams. Here per row and per window, then averaged
 *   over rows, so it measures repetition within a sample rather than across samples.
 * - repeated-n rate: the share of a window's n-grams that already occurred earlier in the same
 *   row (anywhere before, not only inside the window) — the signature of a loop.
 * - self-BLEU (Zhu et al. 2018, "Texygen: A Benchmarking Platform for Text Generation Models"):
 *   BLEU of each sample against all the others as references, averaged over samples; 1 means
 *   the samples are copies of each other.
 */

/** A key for the n-gram of `ids` starting at `i` (ids are small integers). */
function gramKey(ids: ArrayLike<number>, i: number, n: number): string {
  let key = "";
  for (let k = 0; k < n; k++) key += `${ids[i + k]},`;
  return key;
}

/** n-grams lying entirely inside positions [from, to) of `ids`. */
function gramsIn(ids: ArrayLike<number>, n: number, from: number, to: number): string[] {
  const out: string[] = [];
  for (let i = from; i + n <= Math.min(to, ids.length); i++) out.push(gramKey(ids, i, n));
  return out;
}

/**
 * Mean over rows of distinct-n inside [from, to): unique / total n-grams of the window. NaN when
 * no row has an n-gram there.
 */
export function distinctN(rows: readonly ArrayLike<number>[], n: number, from: number, to: number): number {
  let sum = 0;
  let count = 0;
  for (const ids of rows) {
    const grams = gramsIn(ids, n, from, to);
    if (grams.length === 0) continue;
    sum += new Set(grams).size / grams.length;
    count++;
  }
  return count > 0 ? sum / count : Number.NaN;
}

/**
 * Share of the n-grams starting in [from, to) (pooled over rows) that already started at an
 * earlier position of the same row. NaN when there are none.
 */
export function repeatedNRate(rows: readonly ArrayLike<number>[], n: number, from: number, to: number): number {
  let repeated = 0;
  let total = 0;
  for (const ids of rows) {
    const seen = new Set<string>();
    for (let i = 0; i + n <= Math.min(to, ids.length); i++) {
      const key = gramKey(ids, i, n);
      if (i >= from) {
        total++;
        if (seen.has(key)) repeated++;
      }
      seen.add(key);
    }
  }
  return total > 0 ? repeated / total : Number.NaN;
}

function gramCounts(ids: ArrayLike<number>, n: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (const key of gramsIn(ids, n, 0, ids.length)) counts.set(key, (counts.get(key) ?? 0) + 1);
  return counts;
}

/**
 * Self-BLEU-`maxN` of the rows: for each row, the geometric mean of its clipped n-gram
 * precisions (n = 1 … maxN) against every other row as a reference (a count is clipped by its
 * largest count in any one reference), times the brevity penalty; then averaged over rows.
 * Precisions of 0 are smoothed by adding 1 to numerator and denominator for n > 1 (Lin & Och
 * 2004, "ORANGE", smoothing 1), so short or very diverse samples still score above 0.
 */
export function selfBleu(rows: readonly ArrayLike<number>[], maxN = 4): number {
  if (rows.length < 2) throw new RangeError(`self-BLEU needs at least 2 rows, got ${rows.length}`);
  const counts = rows.map((ids) => Array.from({ length: maxN }, (_, k) => gramCounts(ids, k + 1)));
  let total = 0;
  rows.forEach((hyp, h) => {
    let logSum = 0;
    for (let k = 0; k < maxN; k++) {
      let matched = 0;
      let all = 0;
      for (const [key, c] of counts[h]![k]!) {
        let best = 0;
        for (let r = 0; r < rows.length; r++) if (r !== h) best = Math.max(best, counts[r]![k]!.get(key) ?? 0);
        matched += Math.min(c, best);
        all += c;
      }
      const precision = k === 0 ? matched / Math.max(all, 1) : (matched + 1) / (all + 1);
      logSum += Math.log(Math.max(precision, 1e-12));
    }
    // The closest reference length; samples of equal length pay no penalty.
    let closest = Infinity;
    for (let r = 0; r < rows.length; r++) if (r !== h && Math.abs(rows[r]!.length - hyp.length) < Math.abs(closest - hyp.length)) closest = rows[r]!.length;
    const brevity = hyp.length >= closest ? 1 : Math.exp(1 - closest / Math.max(hyp.length, 1));
    total += brevity * Math.exp(logSum / maxN);
  });
  return total / rows.length;
}
