/**
 * Per prompt — how well a mode holds its target for each prompt on its own, not pooled.
 *
 * A caller sends one prompt, so a pooled mean within 2 % can hide prompts that miss by 5 %: a
 * schedule that depends on position only misses each prompt by that prompt's own offset. Each
 * episode is one prompt; its window bias is the mean of H(p̄_t) − target over the window's
 * positions it reached, as a fraction of the target. Across prompts, the median says what is
 * typical and the worst (largest |bias|, sign kept) what a caller may get; a prompt run on several
 * seeds is judged by its mean, the seed-to-seed spread reported beside it.
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
  /** Episodes behind the prompts' biases; present only when some prompt ran more than once (each a mean over its episodes). */
  readonly episodes?: number;
  /**
   * Pooled standard deviation of one episode's bias about its prompt's mean, over the prompts that
   * ran more than once: the seed-to-seed noise of a single episode, against which the prompts'
   * means (noise ÷ √episodes) are judged. Present with `episodes`.
   */
  readonly seedSd?: number;
}

/**
 * Median and worst over prompts, per window, of per-prompt biases (promptWindowBiases).
 * `promptOf[i]` names episode i's prompt (default: each episode its own prompt); a prompt run on
 * several seeds counts once, at the mean of its episodes' biases, because what a caller gets from
 * one prompt is its expected miss, and one episode's miss adds that episode's noise to it
 * (at target 3.5 about 2 % in [0,10), README.md "Per prompt").
 */
export function spreadOverPrompts(biases: readonly Record<string, number>[], promptOf: (episode: number) => number = (i) => i): Record<string, PromptSpread> {
  const out: Record<string, PromptSpread> = {};
  for (const w of WINDOWS) {
    const label = windowLabel(w);
    const byPrompt = new Map<number, number[]>();
    biases.forEach((b, i) => {
      const v = b[label];
      if (v === undefined || !Number.isFinite(v)) return;
      const k = promptOf(i);
      byPrompt.set(k, [...(byPrompt.get(k) ?? []), v]);
    });
    if (byPrompt.size === 0) continue;
    const groups = [...byPrompt.values()];
    const values = groups.map(mean);
    const sorted = [...values].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    const median = sorted.length % 2 === 1 ? sorted[mid]! : 0.5 * (sorted[mid - 1]! + sorted[mid]!);
    const worst = values.reduce((a, b) => (Math.abs(b) > Math.abs(a) ? b : a));
    const episodes = groups.reduce((s, g) => s + g.length, 0);
    // Within-prompt sum of squares over its degrees of freedom: prompts run once add nothing.
    const dof = episodes - groups.length;
    const squares = groups.reduce((s, g) => s + g.reduce((a, v) => a + (v - mean(g)) ** 2, 0), 0);
    out[label] = { prompts: values.length, median, worst, ...(dof > 0 ? { episodes, seedSd: Math.sqrt(squares / dof) } : {}) };
  }
  return out;
}

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}
