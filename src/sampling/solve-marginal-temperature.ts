/**
 * Solve a batch's temperature — the one T at which the marginal entropy of n rows,
 * H(p̄) with p̄ = mean_b softmax(z_b / T), is a given value: what a `marginal` request steers.
 *
 * H(p̄) rises with T like one row's entropy, and its slope in u = log T comes from the same pass:
 * dp_b,i/du = −p_b,i (s_b,i − E_b[s]) with s = z / T, so
 * dH/du = −Σ_i (dp̄_i/du) log p̄_i = (1/n) Σ_b Σ_i p_b,i (s_b,i − E_b[s]) log p̄_i.
 * The solve is solve-temperature.ts's Newton on u = log T, with this entropy. Costs n·V
 * exponentials and V logs per pass; a warm start from the last position's T takes a few.
 */
import { type EntropyAt, newtonOnLogT, solveTemperature } from "./solve-temperature.js";

/** Per-solve buffers: allocated once per solve, not per pass (a pass at n = 8 would otherwise allocate n·V doubles). */
export interface MarginalScratch {
  readonly probs: Float64Array;
  /** p̄ while it is summed, then log p̄ (0 where p̄ = 0). */
  readonly mean: Float64Array;
  /** E_b[z / T] per row. */
  readonly expected: Float64Array;
}

export function marginalScratch(rows: number, vocab: number): MarginalScratch {
  return { probs: new Float64Array(rows * vocab), mean: new Float64Array(vocab), expected: new Float64Array(rows) };
}

/** H(mean over active rows of softmax(z_b / T)), nats, and its slope dH/d(log T). */
export function marginalEntropyAndSlope(
  logits: Float32Array,
  rows: number,
  vocab: number,
  active: Uint8Array,
  temperature: number,
  scratch: MarginalScratch = marginalScratch(rows, vocab),
): EntropyAt {
  const inv = 1 / temperature;
  const { probs, mean, expected } = scratch;
  mean.fill(0);
  let count = 0;
  for (let b = 0; b < rows; b++) {
    if (active[b] === 0) continue;
    count++;
    const base = b * vocab;
    let max = -Infinity;
    for (let i = 0; i < vocab; i++) if (logits[base + i] !== -Infinity && logits[base + i]! * inv > max) max = logits[base + i]! * inv;
    let sum = 0;
    for (let i = 0; i < vocab; i++) {
      const w = logits[base + i] === -Infinity ? 0 : Math.exp(logits[base + i]! * inv - max);
      probs[base + i] = w;
      sum += w;
    }
    let e = 0;
    for (let i = 0; i < vocab; i++) {
      const p = probs[base + i]! / sum;
      probs[base + i] = p;
      if (p > 0) {
        e += p * (logits[base + i]! * inv);
        mean[i]! += p;
      }
    }
    expected[b] = e;
  }
  if (count === 0) return { entropy: Number.NaN, slope: Number.NaN };
  let entropy = 0;
  for (let i = 0; i < vocab; i++) {
    const q = mean[i]! / count;
    const log = q > 0 ? Math.log(q) : 0;
    entropy -= q * log;
    mean[i] = log;
  }
  let slope = 0;
  for (let b = 0; b < rows; b++) {
    if (active[b] === 0) continue;
    const base = b * vocab;
    const e = expected[b]!;
    for (let i = 0; i < vocab; i++) {
      const p = probs[base + i]!;
      if (p > 0) slope += p * (logits[base + i]! * inv - e) * mean[i]!;
    }
  }
  // p̄ reaches at most every token: ln V bounds it (logits a processor set to −∞ only lower the
  // true limit, which softens the stretch in stepInLogT but keeps it correct)
  return { entropy, slope: Math.max(0, slope / count), ceiling: Math.log(vocab) };
}

/** The first row with active[b] !== 0, −1 when none. */
function firstActive(active: Uint8Array, rows: number): number {
  for (let b = 0; b < rows; b++) if (active[b] !== 0) return b;
  return -1;
}

/**
 * Whether every active row's logits equal the first active row's, entry by entry: at a request's
 * first position every row conditions on the same prompt. Stops at the first difference, so rows
 * that have diverged cost a few comparisons.
 */
export function activeRowsIdentical(logits: Float32Array, rows: number, vocab: number, active: Uint8Array): boolean {
  const first = firstActive(active, rows);
  if (first < 0) return false;
  const base = first * vocab;
  for (let b = first + 1; b < rows; b++) {
    if (active[b] === 0) continue;
    const other = b * vocab;
    for (let i = 0; i < vocab; i++) if (!Object.is(logits[base + i], logits[other + i])) return false;
  }
  return true;
}

/**
 * The temperature in [tMin, tMax] at which the active rows' marginal entropy is `target` nats;
 * tMin (tMax) when the target lies below (above) what the range reaches. `start`: where Newton
 * begins (the last position's T); `within`: as in newtonOnLogT. Where every active row holds the
 * same logits (a request's first position), the marginal is that one row's entropy, and the
 * one-row solve finds it with Halley's steps at 1/n of the cost per pass (measured at n = 4 on
 * six prompts × targets 3.5 / 5 / 6.5: 2.67 passes, 0.20 ms, against 3.11 passes, 1.09 ms).
 */
export function temperatureForMarginalEntropy(
  logits: Float32Array,
  rows: number,
  vocab: number,
  active: Uint8Array,
  target: number,
  tMin: number,
  tMax: number,
  start?: number,
  within?: number,
): { temperature: number; passes: number } {
  if (activeRowsIdentical(logits, rows, vocab, active)) {
    const first = firstActive(active, rows);
    return solveTemperature(logits.subarray(first * vocab, (first + 1) * vocab), target, tMin, tMax, start, within);
  }
  const scratch = marginalScratch(rows, vocab);
  return newtonOnLogT((t) => marginalEntropyAndSlope(logits, rows, vocab, active, t, scratch), target, tMin, tMax, start, within);
}
