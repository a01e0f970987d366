/**
 * Per prompt — how well a mode holds its target for each prompt on its own, not pooled.
 *
 * A caller sends one prompt, so a pooled mean within 2 % can hide prompts that miss by 5 %: a
 * schedule that depends on position only misses each prompt by that prompt's own offset. Each
 * episode is one prompt; its window bias is the mean of H(p̄_t) − target over the window's
 * positions it reached, as a fraction of the target. Across prompts, the median says what is
 * typical and the worst (largest |bias|, sign kept) what a caller may get.
 */
import { WINDOWS, windowLabel } from "./metrics.js";

/** One prompt's relative bias per window it reached (fraction of the target; 0.03 = +3 %). */
export function promptWindowBiases(marginal: ArrayLike<number>, target: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [from, to] of WINDOWS) {
    const end = Math.min(to, marginal.length);
    if (end <= from) continue;
    let sum = 0;
    for (let t = from; t < end; t++) sum += marginal[t]!;
    out[windowLabel([from, to])] = (sum / (end - from) - target) / target;
  }
  return out;
}

export interface PromptSpread {
  /** Prompts that reached the window. */
  readonly prompts: number;
  /** Median over prompts of the relative bias. */
  readonly median: number;
  /** The relative bias of largest magnitude, sign kept. */
  readonly worst: number;
}

/** Median and worst over prompts, per window, of per-prompt biases (promptWindowBiases). */
export function spreadOverPrompts(biases: readonly Record<string, number>[]): Record<string, PromptSpread> {
  const out: Record<string, PromptSpread> = {};
  for (const w of WINDOWS) {
    const label = windowLabel(w);
    const values = biases.map((b) => b[label]).filter((v): v is number => v !== undefined && Number.isFinite(v));
    if (values.length === 0) continue;
    const sorted = [...values].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    const median = sorted.length % 2 === 1 ? sorted[mid]! : 0.5 * (sorted[mid - 1]! + sorted[mid]!);
    const worst = values.reduce((a, b) => (Math.abs(b) > Math.abs(a) ? b : a));
    out[label] = { prompts: values.length, median, worst };
  }
  return out;
}
