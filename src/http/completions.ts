/**
 * POST /v1/completions — OpenAI text completions, whole or streamed, plus the `entropy`,
 * `telemetry`, `top_k` and `min_p` extensions. The prompt is a string or an array of token ids.
 * `best_of` decodes that many rows as one batch and returns the `n` most likely; `echo` puts the
 * prompt before each completion (the first chunk of each row when streamed).
 */
import { Hono } from "hono";
import type { TokenEvent } from "../decode/generate.js";
import type { TextTokenizer } from "../model/tokenizer.js";
import { type RouteDeps, servedModel } from "./deps.js";
import { badRequest } from "./errors.js";
import { collect, type Generation, type RowResult, startGeneration } from "./generation.js";
import { jsonBody } from "./json-body.js";
import { closingFields, entropyReport, telemetryOf, usageOf } from "./report.js";
import { type CompletionRequest, completionRequestSchema } from "./schemas.js";
import { sseResponse } from "./sse.js";

/** OpenAI's default `max_tokens` for completions. */
const DEFAULT_MAX_TOKENS = 16;

/** Legacy completions logprobs for `tokens`, whose text starts at `offset` in the completion. */
function logprobsOf(tokens: readonly TokenEvent[], offset: number, tokenizer: TextTokenizer, top: number) {
  const text = (id: number): string => tokenizer.decode([id]);
  const textOffset: number[] = [];
  for (const t of tokens) {
    textOffset.push(offset);
    offset += t.text.length;
  }
  return {
    tokens: tokens.map((t) => text(t.tokenId)),
    token_logprobs: tokens.map((t) => t.logprob),
    top_logprobs: top > 0 ? tokens.map((t) => Object.fromEntries((t.topLogprobs ?? []).map((a) => [text(a.tokenId), a.logprob]))) : null,
    text_offset: textOffset,
  };
}

async function* chunks(generation: Generation, body: CompletionRequest, head: object, tokenizer: TextTokenizer, echo: string | undefined): AsyncGenerator<object> {
  const offsets = new Array<number>(generation.rows).fill(0);
  let completionTokens = 0;
  if (echo !== undefined) {
    for (let index = 0; index < generation.rows; index++) {
      const choice = { index, text: echo, logprobs: null, finish_reason: null };
      yield { ...head, choices: [choice], ...(index === 0 ? { entropy: entropyReport(generation) } : {}) };
    }
  }
  for await (const event of generation.events) {
    if (event.type === "fallback") {
      yield { ...head, choices: [], entropy: entropyReport(generation, event) };
      continue;
    }
    const choice = {
      index: event.row,
      text: event.text,
      logprobs: body.logprobs == null ? null : logprobsOf([event], offsets[event.row]!, tokenizer, body.logprobs),
      finish_reason: event.finishReason ?? null,
      ...(body.telemetry ? { telemetry: telemetryOf([event]) } : {}),
    };
    yield { ...head, choices: [choice], ...(completionTokens === 0 && echo === undefined ? { entropy: entropyReport(generation) } : {}) };
    offsets[event.row]! += event.text.length;
    completionTokens++;
  }
  if (body.stream_options?.include_usage) yield { ...head, choices: [], usage: usageOf(generation, completionTokens) };
}

export function completions(deps: RouteDeps): Hono {
  return new Hono().post("/v1/completions", jsonBody(completionRequestSchema(deps.limits)), async (c) => {
    const body = c.req.valid("json");
    const { model, catalog } = await servedModel(deps, body.model);
    const ids = typeof body.prompt === "string" ? model.tokenizer.encode(body.prompt) : body.prompt;
    const n = body.n ?? 1;
    const bestOf = body.best_of ?? n;
    if (bestOf < n) throw badRequest("best_of", `'best_of' (${bestOf}) must be at least 'n' (${n})`);
    if (bestOf > n && body.stream) throw badRequest("best_of", "'best_of' greater than 'n' cannot be streamed: the best rows are known only at the end");
    if (body.echo && body.logprobs != null) throw badRequest("echo", "'echo' with 'logprobs' is not supported: the prompt's logprobs would need a pass over every prompt position");
    const echo = body.echo ? (typeof body.prompt === "string" ? body.prompt : model.tokenizer.decode(ids)) : undefined;
    const generation = startGeneration(
      { model, catalog, gate: deps.gate, limits: deps.limits },
      { ids, param: "prompt" },
      { ...body, n: bestOf },
      {
        maxTokensParam: "max_tokens",
        defaultMaxTokens: DEFAULT_MAX_TOKENS,
        topLogprobs: body.logprobs ?? 0,
        signal: c.req.raw.signal,
      },
    );
    const head = {
      id: `cmpl-${crypto.randomUUID()}`,
      object: "text_completion",
      created: Math.floor(Date.now() / 1000),
      model: model.name,
      system_fingerprint: model.id,
    };
    if (body.stream) return sseResponse(chunks(generation, body, head, model.tokenizer, echo), { onCancel: generation.stop, idleMs: deps.limits.streamIdleMs });

    const collected = await collect(generation);
    const { rows } = collected;
    // best_of: the n rows with the highest cumulative logprob (vLLM's ranking), best first.
    const cumulative = (row: RowResult): number => row.tokens.reduce((sum, t) => sum + t.logprob, 0);
    const returned = bestOf > n ? [...rows].sort((a, b) => cumulative(b) - cumulative(a)).slice(0, n) : rows;
    return c.json({
      ...head,
      choices: returned.map((row, index) => ({
        index,
        text: (echo ?? "") + row.text,
        logprobs: body.logprobs == null ? null : logprobsOf(row.tokens, 0, model.tokenizer, body.logprobs),
        finish_reason: row.finishReason,
        ...(body.telemetry ? { telemetry: telemetryOf(row.tokens) } : {}),
      })),
      ...closingFields(generation, collected),
    });
  });
}
