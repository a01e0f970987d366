/**
 * Selection — the k-th largest value of an array in expected O(n), for top-k without a full sort.
 *
 * Hoare's quickselect (Hoare 1961, "Algorithm 65: Find") with a median-of-three pivot, iterative.
 */

/**
 * The k-th largest value of `a` (k = 1 is the maximum; 1 ≤ k ≤ a.length). Reorders `a` in place.
 * -Infinity orders below every finite value; NaN must not occur.
 */
export function kthLargestInPlace(a: Float32Array, k: number): number {
  // Ascending order statistic: the k-th largest is at index n − k once partitioned.
  const target = a.length - k;
  let lo = 0;
  let hi = a.length - 1;
  while (hi > lo) {
    const mid = (lo + hi) >>> 1;
    // Median of three guards against sorted input, which is common (logits after a cut).
    if (a[mid]! < a[lo]!) swap(a, mid, lo);
    if (a[hi]! < a[lo]!) swap(a, hi, lo);
    if (a[hi]! < a[mid]!) swap(a, hi, mid);
    const pivot = a[mid]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        swap(a, i, j);
        i++;
        j--;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else return a[target]!;
  }
  return a[target]!;
}

function swap(a: Float32Array, i: number, j: number): void {
  const t = a[i]!;
  a[i] = a[j]!;
  a[j] = t;
}
