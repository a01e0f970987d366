/**
 * Generation — one request's decode, shared by /v1/completions and /v1/chat/completions (they
 * differ only in how the prompt is built and how results are shaped): check the prompt against
 * the limits and the model, plan the entropy control, take a concurrency slot, seed the rng and
 * start the decode loop. Request fields arrive snake_case and leave this file camelCase.
 */

import type { Catalog } from "../control/catalog.js";
import type { PromptProbe } from "../control/prompt-probe.js";
import type { FallbackEvent, FinishReason, GenerateEvent, TokenEvent } from "../decode/generate.js";
import { generate } from "../decode/generate.js";
import { type ControlPlan, type EntropyParams, planControl } from "../decode/plan.js";
import { KV_DTYPE_BYTES } from "../model/causal-lm.js";
import { baselineBytes, requestMemory, wasmFreeBytes } from "../model/memory.js";
import type { Model } from "../model/model.js";
import { createFilters } from "../sampling/filters.js";
import { createLogitProcessors } from "../sampling/logit-processors.js";
import { createRng } from "../sampling/rng.js";
import type { Gate, MemoryDemand } from "./concurrency.js";
import { ApiError, badRequest } from "./errors.js";
import type { Limits } from "./limits.js";
import type { CompletionRequest } from "./schemas.js";

/** The request fields both endpoints share. */
export type SamplingFields = Omit<CompletionRequest, "prompt" | "logprobs">;

export interface GenerationContext {
  readonly model: Model;
  readonly catalog: Catalog;
  readonly gate: Gate;
  readonly limits: Limits;
}

export interface Prompt {
  readonly ids: readonly number[];
  /** The request field the prompt came from ("prompt" or "messages"), for errors. */
  readonly param: string;
}

export interface Generation {
  /** The seed the rng was created from: the request's, or a random one. */
  readonly seed: number;
  readonly plan: ControlPlan;
  /** Why the mode that runs is not the one asked for, or runs on fewer fitted files than shipped. */
  readonly notice?: string;
  /** Rows decoded as one batch (the request's n). */
  readonly rows: number;
  readonly promptTokens: number;
  /** The decode loop's events; the concurrency slot is freed when they end or the request's signal fires. */
  readonly events: AsyncGenerator<GenerateEvent>;
  /** Stop decoding within one token and free the slot (the client went away); idempotent. */
  stop(): void;
}

/** The error a generation ends with when it made no progress for `idleMs`. */
export function idleTimeout(idleMs: number): ApiError {
  return new ApiError(408, `no token was produced or read for ${idleMs} ms (STREAM_IDLE_MS); generation stopped`, { code: "stream_idle_timeout" });
}

/** A uniformly random seed for requests that bring none. */
function randomSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0]!;
}

function entropyParamsOf(e: SamplingFields["entropy"]): EntropyParams {
  if (!e) return { mode: "fixed" };
  const params = { mode: e.mode, target: e.target, gain: e.gain, tMin: e.t_min, tMax: e.t_max, tau: e.tau, eta: e.eta, probe: e.probe };
  return Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined && v !== null)) as unknown as EntropyParams;
}

/** The plan's notice, plus the fitted files left out when the mode asked for lacks what they hold. */
function noticeOf(plan: ControlPlan, catalog: Catalog): string | undefined {
  const usesCatalog = plan.notice !== undefined || plan.requestedMode === "proxy" || plan.requestedMode === "schedule";
  if (!catalog.broken || !usesCatalog) return plan.notice?.reason;
  const files = catalog.broken.map((f) => `${f.name}: ${f.error}`).join("; ");
  return `${plan.notice ? `${plan.notice.reason}; ` : ""}fitted files left out as unusable: ${files}`;
}

function checkPrompt(ctx: GenerationContext, prompt: Prompt): void {
  const { ids, param } = prompt;
  const { maxPromptTokens } = ctx.limits;
  if (ids.length === 0) throw badRequest(param, `'${param}' must encode to at least one token`);
  if (ids.length > maxPromptTokens) {
    throw badRequest(param, `'${param}' is ${ids.length} tokens; at most ${maxPromptTokens} are allowed (MAX_PROMPT_TOKENS)`);
  }
  const vocab = ctx.model.spec.vocabSize;
  const bad = ids.findIndex((id) => id >= vocab);
  if (bad >= 0) throw badRequest(param, `'${param}' token id ${ids[bad]} at index ${bad} is outside the vocabulary of ${vocab}`);
}

/**
 * What a generation of `rows` × `maxTokens` asks of the isolate's memory. Throws a 400 naming `n`
 * (or, for one row, the max_tokens field) when it could never fit the budget, even alone.
 */
function memoryDemand(ctx: GenerationContext, rows: number, positions: number, maxTokens: number, maxTokensParam: string): MemoryDemand {
  const demand = demandOf(ctx, rows, positions);
  const over = overBudget(ctx, demand);
  if (over) {
    const param = rows > 1 ? "n" : maxTokensParam;
    throw badRequest(param, `n = ${rows} with ${maxTokensParam} = ${maxTokens} ${over}; lower n or ${maxTokensParam}`);
  }
  return demand;
}

/**
 * What the probe's shadow rows ask over the prompt and the positions they decode. Throws a 400
 * naming entropy.probe when they could never fit: the request itself may, without its probe.
 */
function probeDemand(ctx: GenerationContext, probe: PromptProbe, positions: number): MemoryDemand {
  const demand = demandOf(ctx, probe.rows, positions);
  const over = overBudget(ctx, demand);
  if (over) throw badRequest("entropy.probe", `the prompt's probe (${probe.rows} shadow rows over ${positions} positions) ${over}; set entropy.probe to false or shorten the prompt`);
  return demand;
}

/** `rows` rows over `positions` positions of the cache, with the loaded model's shapes. */
function demandOf(ctx: GenerationContext, rows: number, positions: number): MemoryDemand {
  const { model } = ctx;
  const need = requestMemory(model.spec, {
    rows,
    positions,
    kvElementBytes: KV_DTYPE_BYTES[model.lm.kvDtype],
    wasmFreeBytes: wasmFreeBytes(model.onnxBytes ?? 0),
    ...(model.lm.rowsPerRun ? { rowsPerRun: model.lm.rowsPerRun } : {}),
  });
  return { bytes: need.held, transient: need.transient, baseline: baselineBytes(model.onnxBytes ?? 0) };
}

/** Why `demand` could never fit the budget, even alone; undefined when it can. */
function overBudget(ctx: GenerationContext, demand: MemoryDemand): string | undefined {
  const { limits } = ctx;
  const budget = limits.memoryBudgetMb * 2 ** 20;
  if (demand.baseline + demand.bytes + demand.transient <= budget) return undefined;
  const mib = (b: number): string => (b / 2 ** 20).toFixed(1);
  return `needs an estimated ${mib(demand.bytes + demand.transient)} MiB for its KV cache and decoding, over the ${mib(budget - demand.baseline)} MiB that MEMORY_BUDGET_MB (${limits.memoryBudgetMb}) leaves beside the model`;
}

/** Whichever of two demands that run one after the other asks more, held and transient each. */
function largerDemand(a: MemoryDemand, b: MemoryDemand): MemoryDemand {
  return { ...a, bytes: Math.max(a.bytes, b.bytes), transient: Math.max(a.transient, b.transient) };
}

/**
 * Start a generation. Throws ApiError (400, 429) or OptionError before any decoding starts, so a
 * streaming request fails with a status rather than mid-stream.
 * @param maxTokensParam the field max_tokens came from, for errors
 * @param defaultMaxTokens tokens per row when the request sets none (capped by the model's positions)
 * @param topLogprobs alternatives per token to report, 0 for none
 */
export function startGeneration(
  ctx: GenerationContext,
  prompt: Prompt,
  body: SamplingFields & { max_tokens?: number | null },
  options: { maxTokensParam: string; defaultMaxTokens: number; topLogprobs: number; signal: AbortSignal },
): Generation {
  checkPrompt(ctx, prompt);
  const { model, limits } = ctx;
  const positions = model.spec.maxPositions;
  const room = positions - prompt.ids.length;
  const maxTokens = body.max_tokens ?? Math.min(options.defaultMaxTokens, limits.maxTokens, room);
  if (maxTokens > room) {
    throw badRequest(options.maxTokensParam, `'${prompt.param}' (${prompt.ids.length} tokens) + '${options.maxTokensParam}' (${maxTokens}) exceeds the model's ${positions} positions`);
  }
  const rows = body.n ?? 1;
  const rowsDemand = memoryDemand(ctx, rows, prompt.ids.length + maxTokens, maxTokens, options.maxTokensParam);
  const plan = planControl(entropyParamsOf(body.entropy), {
    temperature: body.temperature ?? 1,
    rows,
    vocabSize: model.spec.vocabSize,
    catalog: ctx.catalog,
  });
  // The probe's shadow rows decode before the request's own, one after the other: the larger of the two is held.
  const probe = plan.probe;
  const demand = probe ? largerDemand(rowsDemand, probeDemand(ctx, probe, prompt.ids.length + Math.min(probe.positions, maxTokens))) : rowsDemand;
  const filters = createFilters({ topK: body.top_k ?? undefined, topP: body.top_p ?? undefined, minP: body.min_p ?? undefined });
  if ((body.min_tokens ?? 0) > maxTokens) {
    throw badRequest("min_tokens", `'min_tokens' (${body.min_tokens}) exceeds '${options.maxTokensParam}' (${maxTokens})`);
  }
  const processors = createLogitProcessors(
    {
      logitBias: body.logit_bias ?? undefined,
      minTokens: body.min_tokens ?? undefined,
      presencePenalty: body.presence_penalty ?? undefined,
      frequencyPenalty: body.frequency_penalty ?? undefined,
      repetitionPenalty: body.repetition_penalty ?? undefined,
    },
    { vocabSize: model.spec.vocabSize, eosTokenIds: model.spec.eosTokenIds, promptIds: prompt.ids },
  );
  const seed = body.seed ?? randomSeed();
  const stop = typeof body.stop === "string" ? [body.stop] : (body.stop ?? []);

  const abort = new AbortController();
  // A generation the gate takes back (idle past STREAM_IDLE_MS) stops at its next token, if it
  // ever resumes. Only a flag: the gate runs this for another request, and workerd refuses one
  // request's touching another's I/O objects (an AbortSignal tied to request.signal is one).
  let reclaimed = false;
  const slot = ctx.gate.enter(() => {
    reclaimed = true;
  }, demand);
  const signal = AbortSignal.any([options.signal, abort.signal]);
  const decode = generate(model, {
    promptIds: prompt.ids,
    rows,
    maxTokens,
    controller: plan.controller,
    ...(probe ? { probe } : {}),
    filters: [...plan.samplers, ...filters],
    processors,
    ignoreEos: body.ignore_eos === true,
    rng: createRng(seed),
    stop,
    topLogprobs: options.topLogprobs,
    marginal: rows > 1 && body.telemetry === true,
    signal,
  });
  const halt = (): void => {
    abort.abort();
    slot.release();
  };
  // The client may leave while nobody is pulling the events (a stream it stopped reading), so
  // the slot is freed when the signal fires, not when the generator next resumes.
  options.signal.addEventListener("abort", halt, { once: true });
  async function* events(): AsyncGenerator<GenerateEvent> {
    try {
      // Progress both ways keeps the slot: a token produced, and the consumer asking for the next.
      for await (const event of decode) {
        slot.touch();
        yield event;
        if (reclaimed) throw idleTimeout(ctx.limits.streamIdleMs);
        slot.touch();
      }
    } finally {
      options.signal.removeEventListener("abort", halt);
      slot.release();
    }
  }
  const notice = noticeOf(plan, ctx.catalog);
  return { seed, plan, ...(notice ? { notice } : {}), rows, promptTokens: prompt.ids.length, events: events(), stop: halt };
}

export interface RowResult {
  readonly text: string;
  readonly tokens: readonly TokenEvent[];
  readonly finishReason: FinishReason;
}

export interface Collected {
  readonly rows: readonly RowResult[];
  readonly fallback?: FallbackEvent;
}

/** Run a generation to the end and group its tokens by row. */
export async function collect(generation: Generation): Promise<Collected> {
  const tokens: TokenEvent[][] = Array.from({ length: generation.rows }, () => []);
  let fallback: FallbackEvent | undefined;
  for await (const event of generation.events) {
    if (event.type === "fallback") fallback = event;
    else tokens[event.row]!.push(event);
  }
  return {
    rows: tokens.map((row) => ({
      text: row.map((t) => t.text).join(""),
      tokens: row,
      // A row without a finishing token was cut short by an abort.
      finishReason: row[row.length - 1]?.finishReason ?? "length",
    })),
    ...(fallback ? { fallback } : {}),
  };
}
