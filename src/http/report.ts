/**
 * Report — the wire form of what a generation did, shared by both endpoints: the `entropy`
 * report (the mode asked for, the mode that ran, the seed, any substitution or fallback), the
 * per-token `telemetry` extension and OpenAI `usage`. snake_case starts here.
 */
import type { FallbackEvent, TokenEvent } from "../decode/generate.js";
import type { Collected, Generation } from "./generation.js";

export interface EntropyReport {
  requested_mode: string;
  /** The mode that ran from the first token. */
  mode: string;
  seed: number;
  /** Why `mode` differs from `requested_mode`, or which fitted files it had to do without. */
  notice?: string;
  /** A switch of controller mid-generation: to `mode`, after token `at_token` (0-based). */
  fallback?: { mode: string; reason: string; at_token: number };
  /**
   * The shadow rows decoded before the request's own (control/prompt-probe.ts): how many, over how
   * many positions, and how fast this prompt's continuations diverged against the fitted average
   * (1 = as fast), which scaled the rows' aim over the first positions. Absent when none ran.
   */
  probe?: { rows: number; positions: number; divergence: number };
}

export function entropyReport(generation: Generation, fallback?: FallbackEvent): EntropyReport {
  const { plan, seed, notice } = generation;
  const probe = plan.probe;
  return {
    requested_mode: plan.requestedMode,
    mode: plan.mode,
    seed,
    ...(notice ? { notice } : {}),
    ...(fallback ? { fallback: { mode: fallback.to, reason: fallback.reason, at_token: fallback.index } } : {}),
    // Position 0 is decoded but not measured (every row still shares the prompt).
    ...(probe?.observed ? { probe: { rows: probe.rows, positions: probe.observed + 1, divergence: Number(probe.scale.toFixed(4)) } } : {}),
  };
}

/** One token's telemetry; NaN (no estimate) goes out as null. */
export interface TelemetryEntry {
  token_id: number;
  text: string;
  /** Temperature the token was sampled at. */
  temperature: number;
  /** The controller's entropy estimate, nats, or null. */
  entropy_estimate: number | null;
  /** Exact entropy of the distribution sampled, nats. */
  entropy: number;
  /** Entropy of the batch's mean distribution at this position, nats; only when n > 1. */
  marginal_entropy?: number;
  /** Log-probability of the token under that distribution, nats. */
  logprob: number;
}

const orNull = (x: number): number | null => (Number.isFinite(x) ? x : null);

export function telemetryOf(tokens: readonly TokenEvent[]): TelemetryEntry[] {
  return tokens.map((t) => ({
    token_id: t.tokenId,
    text: t.text,
    temperature: t.temperature,
    entropy_estimate: orNull(t.entropyEstimate),
    entropy: t.entropy,
    ...(Number.isFinite(t.marginalEntropy) ? { marginal_entropy: t.marginalEntropy } : {}),
    logprob: t.logprob,
  }));
}

/** OpenAI usage: the prompt counts once however many rows share it. */
export function usageOf(generation: Generation, completionTokens: number) {
  const { promptTokens } = generation;
  return { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
}

/** The closing fields of a whole (non-streamed) response: usage over every decoded row (best_of's unreturned rows count, as OpenAI bills them) and the entropy report. */
export function closingFields(generation: Generation, { rows, fallback }: Collected) {
  const completionTokens = rows.reduce((n, row) => n + row.tokens.length, 0);
  return { usage: usageOf(generation, completionTokens), entropy: entropyReport(generation, fallback) };
}
