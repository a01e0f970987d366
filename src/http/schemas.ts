/**
 * Request schemas — the OpenAI request shapes of /v1/completions and /v1/chat/completions plus
 * this API's extensions (`entropy`, `telemetry`, `top_k`, `min_p`) and the common server ones
 * (vLLM's `ignore_eos`, `min_tokens`, `repetition_penalty`), as valibot schemas built once per
 * app from its Limits. Field names stay snake_case here, as on the wire; handlers map them to the
 * engine's camelCase. Every field of OpenAI's request is listed: honoured, refused by name (a 400
 * whose `param` is the field) when this server cannot honour it, or accepted where it changes
 * nothing a client reads. Fields no API defines are ignored, as clients send extras.
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
/** A field this server cannot honour: absent or null passes, anything else is a 400 naming it. */
const unsupported = (why: string) => opt(v.never(`is not supported: ${why}`));
/** `schema` for a JSON object only: valibot's object and record schemas take an array for one (`[5]` as `{ "0": 5 }`). */
const jsonObject = <S extends v.GenericSchema>(schema: S) =>
  v.pipe(
    v.custom<v.InferInput<S>>((x) => typeof x === "object" && x !== null && !Array.isArray(x), "must be an object"),
    schema,
  );
/** An OpenAI field that changes nothing a client reads (caching, storage, billing hints): accepted as is. */
const noEffect = () => opt(v.unknown());

/**
 * The `entropy` extension; unknown keys are rejected so a misspelt option cannot pass silently.
 * Only types are checked here: each option's range is checked once, where the engine builds the
 * controller that uses it (control/controller.ts, sampling/mirostat.ts), and its OptionError is
 * mapped back to the field in errors.ts.
 */
const entropySchema = jsonObject(
  v.strictObject({
    mode: v.picklist(MODES, `must be one of ${MODES.join(", ")}`),
    /** Entropy target, nats. */
    target: opt(finite()),
    /** Change of log T per nat of error per token. */
    gain: opt(finite()),
    t_min: opt(finite()),
    t_max: opt(finite()),
    /** Mirostat target surprise, nats. */
    tau: opt(finite()),
    /** Mirostat learning rate. */
    eta: opt(finite()),
    /** Whether schedule, proxy and exact probe the prompt on shadow rows first (default true). */
    probe: opt(v.boolean()),
  }),
);

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
    stream_options: opt(jsonObject(v.object({ include_usage: opt(v.boolean()) }))),
    seed: opt(int(0, MAX_SEED, `must be an integer in [0, ${MAX_SEED}]`)),
    stop: opt(v.union([v.string(), v.pipe(v.array(v.string()), v.maxLength(MAX_STOPS, `must hold at most ${MAX_STOPS} strings`))], "must be a string or an array of strings")),
    user: opt(v.string()),
    entropy: opt(entropySchema),
    telemetry: opt(v.boolean()),
    // Types only: ranges and token ids are checked where the samplers are built (logit-processors.ts).
    logit_bias: opt(jsonObject(v.record(v.string(), finite()))),
    presence_penalty: opt(finite()),
    frequency_penalty: opt(finite()),
    repetition_penalty: opt(finite()),
    min_tokens: opt(v.pipe(finite(), v.integer("must be an integer"))),
    ignore_eos: opt(v.boolean()),
    response_format: opt(
      v.pipe(
        jsonObject(v.object({ type: v.string() })),
        v.check((f) => f.type === "text", 'is not supported except {"type": "text"}: this server does not constrain output to a format'),
      ),
    ),
  };
}

export function completionRequestSchema(limits: Limits) {
  return v.object({
    ...commonFields(limits),
    prompt: v.union([v.string(), v.pipe(v.array(v.pipe(finite(), v.integer(), v.minValue(0))), v.minLength(1))], "must be a string or a non-empty array of token ids"),
    logprobs: opt(int(0, MAX_COMPLETION_LOGPROBS, `must be an integer in [0, ${MAX_COMPLETION_LOGPROBS}]`)),
    echo: opt(v.boolean()),
    /** Rows decoded, of which the `n` with the highest cumulative logprob are returned. */
    best_of: opt(int(1, limits.maxN, `must be an integer in [1, ${limits.maxN}] (MAX_N)`)),
    suffix: unsupported("this model has no fill-in-the-middle training"),
  });
}

export type CompletionRequest = v.InferOutput<ReturnType<typeof completionRequestSchema>>;

const ROLES = ["system", "developer", "user", "assistant", "tool"] as const;

const messageSchema = v.object({
  role: v.picklist(ROLES, `must be one of ${ROLES.join(", ")}`),
  content: v.union([v.string(), v.array(v.object({ type: v.literal("text"), text: v.string() }))], "must be a string or an array of text parts"),
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
    tools: unsupported("this server has no tool calling"),
    tool_choice: unsupported("this server has no tool calling"),
    functions: unsupported("this server has no function calling"),
    function_call: unsupported("this server has no function calling"),
    audio: unsupported("this server generates text only"),
    web_search_options: unsupported("this server has no web search"),
    moderation: unsupported("this server runs no moderation"),
    reasoning_effort: unsupported("this model does not reason"),
    verbosity: unsupported("this server does not steer the length of an answer by a hint"),
    store: noEffect(),
    metadata: noEffect(),
    service_tier: noEffect(),
    safety_identifier: noEffect(),
    prompt_cache_key: noEffect(),
    prompt_cache_options: noEffect(),
    prompt_cache_retention: noEffect(),
    prediction: noEffect(),
    parallel_tool_calls: noEffect(),
    modalities: opt(
      v.pipe(
        v.array(v.string()),
        v.check((m) => m.every((x) => x === "text"), 'is not supported except ["text"]: this server generates text only'),
      ),
    ),
  });
}

export type ChatRequest = v.InferOutput<ReturnType<typeof chatRequestSchema>>;
