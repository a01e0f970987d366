/**
 * Generate — a request's decode as events: the kernel's steps (kernel.ts) turned into text, stop
 * strings, end-of-sequence, finish reasons, telemetry and the policy's handover.
 *
 * One call decodes `rows` continuations of one prompt as a batch. Everything it mutates is local
 * to the call (text streams, stop matchers, the kernel's cache and rng); the model is shared and
 * read-only. A row ends at a stop string, an end-of-sequence token (unless `ignoreEos`) or
 * `maxTokens`; the signal stops the whole batch within one token.
 */
import type { Controller } from "../control/controller.js";
import type { PromptProbe } from "../control/prompt-probe.js";
import type { Model } from "../model/model.js";
import { createTextStream } from "../model/tokenizer.js";
import { createChain } from "../sampling/chain.js";
import { withLogitProcessors } from "../sampling/logit-processors.js";
import { marginalEntropy } from "../sampling/marginal.js";
import type { Rng } from "../sampling/rng.js";
import type { Sampler } from "../sampling/sampler.js";
import { decodeSteps } from "./kernel.js";
import { createStopMatcher } from "./stop-strings.js";

export interface GenerateOptions {
  readonly promptIds: readonly number[];
  readonly rows: number;
  readonly maxTokens: number;
  /** The plan's controller: the whole entropy policy, fallback included. */
  readonly controller: Controller;
  /** The plan's probe: shadow rows decoded first, which the controller's early positions aim with. */
  readonly probe?: PromptProbe;
  /** Samplers applied after the controller (the mode's own, then top-k, top-p, min-p); may be empty. */
  readonly filters: readonly Sampler[];
  /**
   * Samplers that change the distribution before the controller measures it (logit bias,
   * min_tokens' end-of-sequence ban, penalties: logit-processors.ts); may be empty.
   */
  readonly processors?: readonly Sampler[];
  /**
   * End-of-sequence does not end a row (vLLM's `ignore_eos`): it may still be drawn, and decoding
   * goes on after it, as the fitter's and the evaluation's rollouts do.
   */
  readonly ignoreEos?: boolean;
  readonly rng: Rng;
  readonly stop?: readonly string[];
  /** Alternatives to report per token (OpenAI `top_logprobs`), 0 for none. */
  readonly topLogprobs?: number;
  /** Measure the batch's marginal entropy at every position (B·V additions and V logs per token). */
  readonly marginal?: boolean;
  readonly signal?: AbortSignal;
}

export type FinishReason = "stop" | "length";

export interface TokenEvent {
  readonly type: "token";
  /** Position of this token in its row (0 = first generated token). */
  readonly index: number;
  readonly row: number;
  readonly tokenId: number;
  /** Text this token makes visible (may be "" while a stop string or a UTF-8 character is pending). */
  readonly text: string;
  readonly temperature: number;
  /** The controller's entropy estimate, nats (NaN when it makes none). */
  readonly entropyEstimate: number;
  /** Exact entropy of the distribution the token was drawn from, nats. */
  readonly entropy: number;
  /**
   * Entropy of the mean of the distributions the active rows were drawn from at this position,
   * nats: the same for every row; NaN unless `marginal` was asked for.
   */
  readonly marginalEntropy: number;
  readonly logprob: number;
  readonly topLogprobs?: readonly { tokenId: number; logprob: number }[];
  readonly finishReason?: FinishReason;
}

export interface FallbackEvent {
  readonly type: "fallback";
  readonly index: number;
  readonly from: string;
  readonly to: string;
  readonly reason: string;
}

export type GenerateEvent = TokenEvent | FallbackEvent;

function topOf(probs: Float32Array, k: number): { tokenId: number; logprob: number }[] {
  const best: { tokenId: number; logprob: number }[] = [];
  for (let i = 0; i < probs.length; i++) {
    const p = probs[i]!;
    if (p <= 0 || (best.length === k && p <= Math.exp(best[k - 1]!.logprob))) continue;
    const entry = { tokenId: i, logprob: Math.log(p) };
    let j = best.length < k ? best.length : k - 1;
    best[j] = entry;
    while (j > 0 && best[j - 1]!.logprob < entry.logprob) {
      best[j] = best[j - 1]!;
      best[j - 1] = entry;
      j--;
    }
  }
  return best;
}

export async function* generate(model: Model, opts: GenerateOptions): AsyncGenerator<GenerateEvent> {
  const { rows, maxTokens, controller } = opts;
  const V = model.spec.vocabSize;
  const eos = new Set(opts.ignoreEos ? [] : model.spec.eosTokenIds);
  const streams = Array.from({ length: rows }, () => createTextStream(model.tokenizer));
  const stops = Array.from({ length: rows }, () => createStopMatcher(opts.stop ?? []));
  const k = Math.min(opts.topLogprobs ?? 0, V);
  let handedOver = false;
  // The marginal telemetry's per-token sums, one buffer for the request rather than one per step.
  const sums = opts.marginal ? new Float64Array(V) : undefined;

  const steps = decodeSteps(model.lm, {
    promptIds: opts.promptIds,
    rows,
    maxTokens,
    policy: withLogitProcessors(opts.processors ?? [], createChain([controller, ...opts.filters])),
    rng: opts.rng,
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.probe ? { probes: [opts.probe] } : {}),
  });
  for await (const step of steps) {
    const t = step.position;
    const active = step.active;
    // Before the rows that finish at this token are marked inactive: they were drawn here too.
    const marginal = sums ? marginalEntropy(step.probs, rows, V, active, sums) : Number.NaN;
    for (let b = 0; b < rows; b++) {
      if (!active[b]) continue;
      const tokenId = step.tokens[b]!;
      const { text: shown, stopped } = stops[b]!.push(streams[b]!.push(tokenId));
      let text = shown;
      let finishReason: FinishReason | undefined;
      if (stopped || eos.has(tokenId)) finishReason = "stop";
      else if (t === maxTokens - 1) finishReason = "length";
      if (finishReason) {
        if (!stopped) text += stops[b]!.flush();
        active[b] = 0;
      }
      const event: TokenEvent = {
        type: "token",
        index: t,
        row: b,
        tokenId,
        text,
        temperature: step.temperature[b]!,
        entropyEstimate: step.estimate[b]!,
        entropy: step.entropy[b]!,
        marginalEntropy: marginal,
        logprob: step.logprobs[b]!,
        ...(k > 0 ? { topLogprobs: topOf(step.probs.subarray(b * V, (b + 1) * V), k) } : {}),
        ...(finishReason ? { finishReason } : {}),
      };
      yield event;
    }
    const handover = controller.handover;
    if (handover && !handedOver) {
      handedOver = true;
      yield { type: "fallback", ...handover };
    }
  }
}
