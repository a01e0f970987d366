/**
 * POST /v1/chat/completions — OpenAI chat completions, whole or streamed, plus the `entropy`,
 * `telemetry`, `top_k` and `min_p` extensions. The prompt is the messages rendered through the
 * model's chat template.
 */
import { Hono } from "hono";
import type { TokenEvent } from "../decode/generate.js";
import type { TextTokenizer } from "../model/tokenizer.js";
import { renderChat } from "./chat-template.js";
import { type RouteDeps, servedModel } from "./deps.js";
import { badRequest } from "./errors.js";
import { collect, type Generation, startGeneration } from "./generation.js";
import { jsonBody } from "./json-body.js";
import { closingFields, entropyReport, telemetryOf, usageOf } from "./report.js";
import { type ChatRequest, chatRequestSchema } from "./schemas.js";
import { sseResponse } from "./sse.js";

const encoder = new TextEncoder();

/** Chat logprobs (`{ content: [...] }`) for `tokens`, with `top` alternatives each. */
function logprobsOf(tokens: readonly TokenEvent[], tokenizer: TextTokenizer, top: number) {
  const entry = (tokenId: number, logprob: number) => {
    const token = tokenizer.decode([tokenId]);
    return { token, logprob, bytes: Array.from(encoder.encode(token)) };
  };
  return {
    content: tokens.map((t) => ({
      ...entry(t.tokenId, t.logprob),
      top_logprobs: top > 0 ? (t.topLogprobs ?? []).map((a) => entry(a.tokenId, a.logprob)) : [],
    })),
    refusal: null,
  };
}

async function* chunks(generation: Generation, body: ChatRequest, head: object, tokenizer: TextTokenizer): AsyncGenerator<object> {
  const top = body.top_logprobs ?? 0;
  for (let index = 0; index < generation.rows; index++) {
    const choice = { index, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null };
    yield { ...head, choices: [choice], ...(index === 0 ? { entropy: entropyReport(generation) } : {}) };
  }
  let completionTokens = 0;
  for await (const event of generation.events) {
    if (event.type === "fallback") {
      yield { ...head, choices: [], entropy: entropyReport(generation, event) };
      continue;
    }
    completionTokens++;
    const choice = {
      index: event.row,
      delta: { content: event.text },
      logprobs: body.logprobs ? logprobsOf([event], tokenizer, top) : null,
      finish_reason: event.finishReason ?? null,
      ...(body.telemetry ? { telemetry: telemetryOf([event]) } : {}),
    };
    yield { ...head, choices: [choice] };
  }
  if (body.stream_options?.include_usage) yield { ...head, choices: [], usage: usageOf(generation, completionTokens) };
}

export function chat(deps: RouteDeps): Hono {
  return new Hono().post("/v1/chat/completions", jsonBody(chatRequestSchema(deps.limits)), async (c) => {
    const body = c.req.valid("json");
    if (body.top_logprobs && !body.logprobs) throw badRequest("top_logprobs", "'top_logprobs' requires 'logprobs': true");
    const { model, catalog } = await servedModel(deps, body.model);
    const ids = model.tokenizer.encode(renderChat(model.tokenizer, body.messages));
    const maxTokensParam = body.max_completion_tokens != null ? "max_completion_tokens" : "max_tokens";
    const generation = startGeneration(
      { model, catalog, gate: deps.gate, limits: deps.limits },
      { ids, param: "messages" },
      { ...body, max_tokens: body.max_completion_tokens ?? body.max_tokens },
      { maxTokensParam, defaultMaxTokens: deps.limits.maxTokens, topLogprobs: body.logprobs ? (body.top_logprobs ?? 0) : 0, signal: c.req.raw.signal },
    );
    const id = `chatcmpl-${crypto.randomUUID()}`;
    const created = Math.floor(Date.now() / 1000);
    const head = (object: string) => ({ id, object, created, model: model.name, system_fingerprint: model.id });
    if (body.stream) return sseResponse(chunks(generation, body, head("chat.completion.chunk"), model.tokenizer), { onCancel: generation.stop, idleMs: deps.limits.streamIdleMs });

    const collected = await collect(generation);
    const { rows } = collected;
    const top = body.top_logprobs ?? 0;
    return c.json({
      ...head("chat.completion"),
      choices: rows.map((row, index) => ({
        index,
        message: { role: "assistant", content: row.text, refusal: null },
        logprobs: body.logprobs ? logprobsOf(row.tokens, model.tokenizer, top) : null,
        finish_reason: row.finishReason,
        ...(body.telemetry ? { telemetry: telemetryOf(row.tokens) } : {}),
      })),
      ...closingFields(generation, collected),
    });
  });
}
