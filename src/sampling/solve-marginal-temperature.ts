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
import { newtonOnLogT } from "./solve-temperature.js";

/** H(mean over active rows of softmax(z_b / T)), nats, and its slope dH/d(log T). */
export function marginalEntropyAndSlope(logits: Float32Array, rows: number, vocab: number, active: Uint8Array, temperature: number): { entropy: number; slope: number } {
  const inv = 1 / temperature;
  const probs = new Float64Array(rows * vocab);
  const centred = new Float64Array(rows * vocab);
  const mean = new Float64Array(vocab);
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
    let expected = 0;
    for (let i = 0; i < vocab; i++) {
      const p = probs[base + i]! / sum;
      probs[base + i] = p;
      if (p > 0) expected += p * (logits[base + i]! * inv);
    }
    for (let i = 0; i < vocab; i++) {
      const p = probs[base + i]!;
      centred[base + i] = p > 0 ? p * (logits[base + i]! * inv - expected) : 0;
      mean[i]! += p;
    }
  }
  if (count === 0) return { entropy: Number.NaN, slope: Number.NaN };
  let entropy = 0;
  let slope = 0;
  for (let i = 0; i < vocab; i++) {
    const q = mean[i]! / count;
    if (q <= 0) continue;
    const log = Math.log(q);
    entropy -= q * log;
    let moved = 0;
    for (let b = 0; b < rows; b++) if (active[b] !== 0) moved += centred[b * vocab + i]!;
    slope += (moved / count) * log;
  }
  return { entropy, slope: Math.max(0, slope) };
}

/**
 * The temperature in [tMin, tMax] at which the active rows' marginal entropy is `target` nats;
 * tMin (tMax) when the target lies below (above) what the range reaches. `start`: where Newton
 * begins (the last position's T).
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
): { temperature: number; passes: number } {
  return newtonOnLogT((t) => marginalEntropyAndSlope(logits, rows, vocab, active, t), target, tMin, tMax, start);
}
