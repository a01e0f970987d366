/**
 * Kernel — the one loop that steps the model: prefill, then per token the policy (controller and
 * filters), the seeded draw, accept, and the next model step on the tokens drawn.
 *
 * Everything that decodes drives it — the API's `generate` (text, stop strings, telemetry), the
 * fitter's and the evaluation's rollouts, the benchmarks and the browser engine — so a change
 * to stepping, the cache or the policy is made once and what is measured is what is served
 * (after llama.cpp's single `llama_decode` and vLLM's one engine step).
 *
 * It yields each Step after the draw and accept. The consumer may clear `step.active[b]` before
 * resuming to finish row b: the row is not drawn again, and its token is still fed so every row
 * of the batch keeps one cache layout. Decoding ends after `maxTokens` steps, when no row is
 * active, or when `signal` fires (checked between tokens). Between tokens it yields to the event
 * loop, so one isolate serves other requests (and sees a disconnect) while it decodes.
 */
import type { PromptProbe } from "../control/prompt-probe.js";
import type { CausalLM } from "../model/causal-lm.js";
import { createChain } from "../sampling/chain.js";
import { createDraw } from "../sampling/draw.js";
import { createRng, type Rng } from "../sampling/rng.js";
import type { Sampler } from "../sampling/sampler.js";
import { createStep, type Step } from "../sampling/step.js";
import { yieldToEventLoop } from "./yield.js";

export interface KernelOptions {
  readonly promptIds: readonly number[];
  /** Continuations of the prompt decoded together as one batch. */
  readonly rows: number;
  /** Tokens per row at most. */
  readonly maxTokens: number;
  /** Sets each active row's temperature and scores: the plan's controller, then its filters. */
  readonly policy: Sampler;
  /** The draw's uniforms: one `next()` per active row per step, in row order. */
  readonly rng: Rng;
  readonly signal?: AbortSignal;
  /**
   * Shadow decodes run before the rows, each observed by its probe and never yielded
   * (prompt-probe.ts). Their uniforms come from a stream of their own (probeSeed), so the rows
   * draw the same uniforms with or without them.
   */
  readonly probes?: readonly PromptProbe[];
}

/** The seed of a request's probe stream: its own seed's, scrambled, so the two streams are unrelated. */
export function probeSeed(seed: number): number {
  return (seed ^ 0x5bd1e995) >>> 0;
}

/** One token position of a batch: what a step of the model feeds the policy and the draw. */
export interface TokenSampler {
  /** Apply the policy and the draw to `logits` ([rows × vocab]) at `position`, then accept. */
  next(logits: Float32Array, position: number): Step;
  /** Rows still generating, shared by every step (1 = active). */
  readonly active: Uint8Array;
}

/**
 * The per-token half of the kernel, without the model: the synthetic plants of the controller
 * tests feed it their own logits, so they exercise exactly the apply → draw → accept order the
 * kernel runs. Steps recycle their [rows × vocab] buffers: read a step before the next one.
 */
export function createTokenSampler(rows: number, vocab: number, policy: Sampler, rng: Rng): TokenSampler {
  const chain = createChain([policy, createDraw(rng)]);
  const active = new Uint8Array(rows).fill(1);
  let step: Step | undefined;
  return {
    active,
    next(logits, position) {
      step = createStep(logits, rows, vocab, position, active, step);
      chain.apply(step);
      chain.accept?.(step.tokens, step);
      return step;
    },
  };
}

/** Decode up to `maxTokens` positions of `rows` rows of `promptIds`, yielding every step. */
export async function* decodeSteps(lm: CausalLM, options: KernelOptions): AsyncGenerator<Step, void, undefined> {
  const { promptIds, rows, maxTokens, signal } = options;
  const { vocabSize, maxPositions } = lm.spec;
  if (promptIds.length + maxTokens > maxPositions) {
    throw new RangeError(`prompt (${promptIds.length} tokens) + max_tokens (${maxTokens}) exceeds the model's ${maxPositions} positions`);
  }
  const sampler = createTokenSampler(rows, vocabSize, options.policy, options.rng);
  if (signal?.aborted) return;
  if (options.probes?.length) {
    const rng = createRng(probeSeed(options.rng.seed));
    for (const probe of options.probes) await runProbe(lm, promptIds, probe, Math.min(probe.positions, maxTokens), rng, signal);
    if (signal?.aborted) return;
  }
  // Each row's last drawn token: a finished row keeps feeding the one it ended on.
  const feed = new Int32Array(rows);
  let { logits, cache } = await lm.prefill(promptIds, rows);
  for (let t = 0; t < maxTokens; t++) {
    const step = sampler.next(logits, t);
    for (let b = 0; b < rows; b++) if (step.tokens[b]! >= 0) feed[b] = step.tokens[b]!;
    yield step;
    if (t === maxTokens - 1 || !sampler.active.includes(1)) return;
    await yieldToEventLoop();
    if (signal?.aborted) return;
    ({ logits, cache } = await lm.step(feed, cache));
  }
}

/** Decode `probe`'s shadow rows over `positions` positions of the prompt, feeding each step to it; nothing when fewer than 2 (only t ≥ 1 is measured). */
async function runProbe(lm: CausalLM, promptIds: readonly number[], probe: PromptProbe, positions: number, rng: Rng, signal: AbortSignal | undefined): Promise<void> {
  if (positions < 2) return;
  const shadow = decodeSteps(lm, { promptIds, rows: probe.rows, maxTokens: positions, policy: probe.policy, rng, ...(signal ? { signal } : {}) });
  for await (const step of shadow) probe.observe(step);
}
