/**
 * Request schemas — the OpenAI request shapes of /v1/completions and /v1/chat/completions plus
 * this API's extensions (`entropy`, `telemetry`, `top_k`, `min_p`), as valibot schemas built
 * once per app from its Limits. Field names stay snake_case here, as on the wire; handlers map
 * them to the engine's camelCase.
 */
import * as v from "valibot";
import { MODES } from "../decode/plan.js";
import { MAX_SEED } from "../sampling/rng.js";
import type { Limits } from "./limits.js";

/** OpenAI allows at most four stop sequences. */
const MAX_STOPS = 4;
/** OpenAI's bound on completions `logprobs`. */
const MAX_COMPLETION_LOGPROBS = 5;
/** OpenAI's bound on chat `top_logprobs`. */
const MAX_CHAT_TOP_LOGPROBS = 20;

const finite = () => v.pipe(v.number(), v.finite());
const opt = <S extends v.GenericSchema>(schema: S) => v.nullish(schema);
const range = (min: number, max: number, what: string) => v.pipe(finite(), v.minValue(min, what), v.maxValue(max, what));
const int = (min: number, max: number, what: string) => v.pipe(finite(), v.integer(what), v.minValue(min, what), v.maxValue(max, what));

/** The `entropy` extension; unknown keys are rejected so a misspelt option cannot pass silently. */
const entropySchema = v.strictObject({
  mode: v.picklist(MODES, `must be one of ${MODES.join(", ")}`),
  /** Entropy target, nats. */
  target: opt(v.pipe(finite(), v.minValue(0, "must be >= 0 (nats)"))),
  /** Change of log T per nat of error per token. */
  gain: opt(v.pipe(finite(), v.minValue(0, "must be >= 0"))),
  t_min: opt(v.pipe(finite(), v.gtValue(0, "must be > 0"))),
  t_max: opt(v.pipe(finite(), v.gtValue(0, "must be > 0"))),
  /** Mirostat target surprise, nats. */
  tau: opt(v.pipe(finite(), v.gtValue(0, "must be > 0 (nats)"))),
  /** Mirostat learning rate. */
  eta: opt(v.pipe(finite(), v.minValue(0, "must be >= 0"))),
});

export type EntropyRequest = v.InferOutput<typeof entropySchema>;

/** Fields both endpoints share. */
function commonFields(limits: Limits) {
  return {
    model: v.string(),
    max_tokens: opt(int(1, limits.maxTokens, `must be an integer in [1, ${limits.maxTokens}] (MAX_TOKENS)`)),
    temperature: opt(range(0, 2, "must be in [0, 2]")),
    top_p: opt(v.pipe(finite(), v.gtValue(0, "must be in (0, 1]"), v.maxValue(1, "must be in (0, 1]"))),
    top_k: opt(int(0, Number.MAX_SAFE_INTEGER, "must be a non-negative integer")),
    min_p: opt(range(0, 1, "must be in [0, 1]")),
    n: opt(int(1, limits.maxN, `must be an integer in [1, ${limits.maxN}] (MAX_N)`)),
    stream: opt(v.boolean()),
    stream_options: opt(v.object({ include_usage: opt(v.boolean()) })),
    seed: opt(int(0, MAX_SEED, `must be an integer in [0, ${MAX_SEED}]`)),
    stop: opt(v.union([v.string(), v.pipe(v.array(v.string()), v.maxLength(MAX_STOPS, `must hold at most ${MAX_STOPS} strings`))], "must be a string or an array of strings")),
    user: opt(v.string()),
    entropy: opt(entropySchema),
    telemetry: opt(v.boolean()),
  };
}

export function completionRequestSchema(limits: Limits) {
  return v.object({
    ...commonFields(limits),
    prompt: v.union(
      [v.string(), v.pipe(v.array(v.pipe(finite(), v.integer(), v.minValue(0))), v.minLength(1))],
      "must be a string or a non-empty array of token ids",
    ),
    logprobs: opt(int(0, MAX_COMPLETION_LOGPROBS, `must be an integer in [0, ${MAX_COMPLETION_LOGPROBS}]`)),
  });
}

export type CompletionRequest = v.InferOutput<ReturnType<typeof completionRequestSchema>>;

const ROLES = ["system", "developer", "user", "assistant", "tool"] as const;

const messageSchema = v.object({
  role: v.picklist(ROLES, `must be one of ${ROLES.join(", ")}`),
  content: v.union(
    [v.string(), v.array(v.object({ type: v.literal("text"), text: v.string() }))],
    "must be a string or an array of text parts",
  ),
  name: opt(v.string()),
});

export type ChatMessage = v.InferOutput<typeof messageSchema>;

export function chatRequestSchema(limits: Limits) {
  return v.object({
    ...commonFields(limits),
    messages: v.pipe(v.array(messageSchema), v.minLength(1, "must hold at least one message")),
    max_completion_tokens: opt(int(1, limits.maxTokens, `must be an integer in [1, ${limits.maxTokens}] (MAX_TOKENS)`)),
    logprobs: opt(v.boolean()),
    top_logprobs: opt(int(0, MAX_CHAT_TOP_LOGPROBS, `must be an integer in [0, ${MAX_CHAT_TOP_LOGPROBS}]`)),
  });
}

export type ChatRequest = v.InferOutput<ReturnType<typeof chatRequestSchema>>;
