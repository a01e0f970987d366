/**
 * Fit runner — episodes (one prompt, B rows, N tokens, one seed) run on a pool of model sessions,
 * one episode per session at a time, so both cores stay busy: one session's step runs in
 * onnxruntime while another's softmax runs in JavaScript. Node only.
 *
 * A plan mixes a few full-length episodes with window-length and short ones on other prompts:
 * the early positions depend on the prompt and need many prompts, the later ones sit on a
 * plateau that one long episode measures over hundreds of positions, and a short episode costs
 * a small fraction of a long one (each step's cost grows with the cache length).
 */

import { type ProbedSampler, type RolloutTrace, rollout } from "../fit/rollout.js";
import type { CausalLM } from "../model/causal-lm.js";
import type { Sampler } from "../sampling/sampler.js";
import type { Step } from "../sampling/step.js";
import { episodeWork, type Progress, stepWork } from "./fit-progress.js";

export interface Episode {
  readonly promptIds: readonly number[];
  readonly seed: number;
  readonly tokens: number;
}

export interface PlanShape {
  /** Episodes of the full length `tokens`. */
  full: number;
  /** Episodes of `midTokens` (the window), on the next prompts. */
  mid: number;
  /** Episodes of `shortTokens`, on the prompts after those. */
  short: number;
  tokens: number;
  midTokens: number;
  shortTokens: number;
}

/** Episodes over `prompts` (cycled) with seeds seed, seed + 1, …: full, then mid, then short. */
export function makePlan(prompts: readonly (readonly number[])[], seed: number, shape: PlanShape): Episode[] {
  if (prompts.length === 0) throw new RangeError("a plan needs at least one prompt");
  const length = (i: number): number => (i < shape.full ? shape.tokens : i < shape.full + shape.mid ? Math.min(shape.midTokens, shape.tokens) : Math.min(shape.shortTokens, shape.tokens));
  return Array.from({ length: shape.full + shape.mid + shape.short }, (_, i) => ({ promptIds: prompts[i % prompts.length]!, seed: seed + i, tokens: length(i) }));
}

/** Row-tokens of a plan. */
export function planTokens(episodes: readonly Episode[], rows: number): number {
  return episodes.reduce((s, e) => s + e.tokens * rows, 0);
}

export interface Runner {
  readonly rows: number;
  /** Tokens generated so far, all rows. */
  readonly tokensGenerated: number;
  /**
   * Run `episodes`; `sampler(i)` builds a fresh sampler for episode i (controllers carry
   * per-episode state), with the probes its requests run first where they have any; `observe(i)`
   * optionally a per-step observer, and `finished(i)`, when given, is awaited as episode i ends
   * (the eval saves it there). Traces come back in order.
   */
  run(
    episodes: readonly Episode[],
    sampler: (i: number) => Sampler | ProbedSampler,
    observe?: (i: number) => ((step: Step) => void) | undefined,
    finished?: (i: number) => Promise<void>,
  ): Promise<RolloutTrace[]>;
}

export function createRunner(sessions: readonly CausalLM[], rows: number, progress: Progress): Runner {
  let generated = 0;
  return {
    rows,
    get tokensGenerated() {
      return generated;
    },
    async run(episodes, sampler, observe, finished) {
      const traces: RolloutTrace[] = new Array(episodes.length);
      // Longest first, so the pool does not end on one long episode while the other session idles.
      const queue = episodes.map((_, i) => i).sort((a, b) => episodes[b]!.tokens - episodes[a]!.tokens);
      const worker = async (lm: CausalLM): Promise<void> => {
        for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
          const e = episodes[i]!;
          const observer = observe?.(i);
          const policy = sampler(i);
          traces[i] = await rollout(lm, {
            promptIds: e.promptIds,
            rows,
            tokens: e.tokens,
            ...("apply" in policy ? { sampler: policy } : policy),
            seed: e.seed,
            ...(observer ? { observe: observer } : {}),
            progress: (done) => {
              generated += rows;
              progress.advance(rows, stepWork(e.promptIds.length + done));
            },
          });
          await finished?.(i);
        }
      };
      await Promise.all(sessions.map(worker));
      return traces;
    },
  };
}

/** Work units of a plan, for the progress bar's ETA. */
export function planWork(episodes: readonly Episode[]): number {
  return episodes.reduce((s, e) => s + episodeWork(e.promptIds.length, e.tokens), 0);
}
