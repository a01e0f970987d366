/**
 * Bootstrap noise floor — how much of a measured marginal-entropy error is B-row sampling noise.
 *
 * Resampling the B rows with replacement (Efron 1979) and recomputing H(p̄_t) gives the spread
 * that a fresh batch of B rows would show even under a perfect schedule. The same resample
 * (one multiset of rows per replicate) is used at every position, as a fresh batch would be.
 * The floor is the root mean over positions of the replicates' variance: a schedule whose RMSE
 * sits at the floor has no systematic error left that B rows can resolve.
 */
import type { Rng } from "../sampling/rng.js";

/** Per-replicate row multiplicities: `replicates` draws of `rows` rows with replacement. */
export function resampleRows(rows: number, replicates: number, rng: Rng): Float64Array[] {
  return Array.from({ length: replicates }, () => {
    const counts = new Float64Array(rows);
    for (let i = 0; i < rows; i++) {
      const b = Math.min(rows - 1, Math.floor(rng.next() * rows));
      counts[b] = counts[b]! + 1;
    }
    return counts;
  });
}

/**
 * Variance across replicates of H(Σ_b c_b p_b / B), nats², for one position's `probs`
 * [rows * vocab] and each replicate's row counts c (summing to rows). `scratch` has `vocab` slots.
 */
export function bootstrapVariance(probs: Float32Array, rows: number, vocab: number, counts: readonly Float64Array[], scratch: Float64Array): number {
  let sum = 0;
  let sumSq = 0;
  for (const c of counts) {
    scratch.fill(0);
    for (let b = 0; b < rows; b++) {
      const w = c[b]!;
      if (w === 0) continue;
      const row = probs.subarray(b * vocab, (b + 1) * vocab);
      for (let i = 0; i < vocab; i++) scratch[i] = scratch[i]! + w * row[i]!;
    }
    let h = 0;
    for (let i = 0; i < vocab; i++) {
      const q = scratch[i]! / rows;
      if (q > 0) h -= q * Math.log(q);
    }
    sum += h;
    sumSq += h * h;
  }
  const n = counts.length;
  return n > 1 ? Math.max(0, (sumSq - (sum * sum) / n) / (n - 1)) : 0;
}
