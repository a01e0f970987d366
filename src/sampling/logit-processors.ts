/**
 * Logit processors — the samplers that change the distribution itself (logit bias, min_tokens'
 * end-of-sequence ban, penalties), run before the policy so that the controller measures and
 * steers the distribution that is actually sampled.
 *
 * Each step, the processors run first on the fresh Step, whose `scores` are still a copy of the
 * model's logits: they add to or ban entries of `scores` in logit units, before any temperature.
 * The result is copied into a buffer that the policy (controller, then filters) reads as its
 * `logits`; the model's own logits are never written. This is where vLLM applies logit_bias,
 * min_tokens and the penalties (before temperature), and where llama.cpp's default chain puts its
 * penalties sampler (before temp).
 */
import { createChain } from "./chain.js";
import { createLogitBias } from "./logit-bias.js";
import { createMinTokens } from "./min-tokens.js";
import { createPenalties, penalizes } from "./penalties.js";
import type { Sampler } from "./sampler.js";
import type { Step } from "./step.js";

/** The request's settings that change the distribution; each is disabled when absent or neutral. */
export interface LogitProcessorOptions {
  /** OpenAI `logit_bias`: token id (decimal string) → bias in [−100, 100]; −100 bans. */
  logitBias?: Readonly<Record<string, number>>;
  /** Tokens before end-of-sequence may be drawn; 0 disables. */
  minTokens?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  repetitionPenalty?: number;
}

/** What the processors need to know of the model and the prompt. */
export interface LogitProcessorContext {
  readonly vocabSize: number;
  readonly eosTokenIds: readonly number[];
  readonly promptIds: readonly number[];
}

/** The enabled processors, validated (OptionError naming the option), in vLLM's order: bias, min_tokens, penalties. */
export function createLogitProcessors(o: LogitProcessorOptions, ctx: LogitProcessorContext): Sampler[] {
  const processors: Sampler[] = [];
  if (o.logitBias !== undefined && Object.keys(o.logitBias).length > 0) processors.push(createLogitBias(o.logitBias, ctx.vocabSize));
  if (o.minTokens !== undefined && o.minTokens !== 0) processors.push(createMinTokens(o.minTokens, ctx.eosTokenIds));
  const penalties = { presence: o.presencePenalty, frequency: o.frequencyPenalty, repetition: o.repetitionPenalty, promptIds: ctx.promptIds };
  const defined = Object.fromEntries(Object.entries(penalties).filter(([, v]) => v !== undefined));
  if (penalizes(defined)) processors.push(createPenalties(defined));
  return processors;
}

/**
 * `policy` reading the logits as `processors` left them. With no processors it is `policy`
 * itself; otherwise one [B × V] buffer is kept for the processed logits, reused every step.
 */
export function withLogitProcessors(processors: readonly Sampler[], policy: Sampler): Sampler {
  if (processors.length === 0) return policy;
  const chain = createChain(processors);
  let processed = new Float32Array(0);
  // The step as the policy sees it: every buffer shared with `step` but the logits.
  const seenByPolicy = (step: Step): Step => ({ ...step, logits: processed });
  return {
    name: `${chain.name}→${policy.name}`,
    apply(step: Step): void {
      chain.apply(step);
      if (processed.length !== step.scores.length) processed = new Float32Array(step.scores.length);
      processed.set(step.scores);
      policy.apply(seenByPolicy(step));
    },
    accept(tokens: Int32Array, step: Step): void {
      chain.accept?.(tokens, step);
      policy.accept?.(tokens, seenByPolicy(step));
    },
    reset(): void {
      chain.reset?.();
      policy.reset?.();
    },
  };
}
