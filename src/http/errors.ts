/**
 * ApiError — the one error type of the HTTP layer. It carries its status and the OpenAI-style
 * body `{ error: { message, type, param, code } }`, so whatever throws it decides the response;
 * `onError` maps everything else onto one: a control-plan error or a RangeError from the engine's
 * input checks becomes a 400, anything unexpected a 500 whose body leaks no internals.
 */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { OptionError } from "../sampling/option-error.js";

export interface ApiErrorOptions {
  /** OpenAI error type; derived from the status when absent. */
  type?: string;
  /** The request field at fault, e.g. "entropy.target"; null when no single field is. */
  param?: string | null;
  /** Machine-readable code, e.g. "model_not_found". */
  code?: string | null;
  /** Extra response headers, e.g. `Retry-After` on a 429 or 503. */
  headers?: Readonly<Record<string, string>>;
}

function typeOf(status: number): string {
  if (status === 401) return "authentication_error";
  if (status === 429) return "rate_limit_error";
  if (status === 503) return "service_unavailable_error";
  return status >= 500 ? "server_error" : "invalid_request_error";
}

export class ApiError extends Error {
  readonly status: ContentfulStatusCode;
  readonly type: string;
  readonly param: string | null;
  readonly code: string | null;
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: ContentfulStatusCode, message: string, options: ApiErrorOptions = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.type = options.type ?? typeOf(status);
    this.param = options.param ?? null;
    this.code = options.code ?? null;
    this.headers = options.headers ?? {};
  }

  /** The wire form of the error, also sent as an SSE event when a stream fails. */
  toJSON(): { error: { message: string; type: string; param: string | null; code: string | null } } {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }

  getResponse(): Response {
    return Response.json(this.toJSON(), { status: this.status, headers: this.headers });
  }
}

/** A 400 naming the field at fault. */
export function badRequest(param: string | null, message: string): ApiError {
  return new ApiError(400, message, { param });
}

/**
 * The request field of each engine option: the one place the engine's camelCase names meet the
 * wire's. The entropy controller's options live under `entropy`.
 */
const WIRE_NAMES: Readonly<Record<string, string>> = {
  mode: "entropy.mode",
  target: "entropy.target",
  gain: "entropy.gain",
  tMin: "entropy.t_min",
  tMax: "entropy.t_max",
  tau: "entropy.tau",
  eta: "entropy.eta",
  probe: "entropy.probe",
  rows: "n",
  temperature: "temperature",
  topK: "top_k",
  topP: "top_p",
  minP: "min_p",
  seed: "seed",
  logitBias: "logit_bias",
  minTokens: "min_tokens",
  presencePenalty: "presence_penalty",
  frequencyPenalty: "frequency_penalty",
  repetitionPenalty: "repetition_penalty",
};

/** The request field an engine option came from (the option itself when it has no wire name). */
export function wireNameOf(option: string): string {
  return WIRE_NAMES[option] ?? option;
}

/** Any thrown value as an ApiError: the mapping shared by `onError` and failing streams. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof OptionError) return badRequest(wireNameOf(err.option), err.message);
  if (err instanceof RangeError) return badRequest(null, err.message);
  console.error(err);
  return new ApiError(500, "internal error while handling the request", { code: "internal_error" });
}

/** Hono `onError` handler: every error leaves as OpenAI-style JSON. */
export function onError(err: unknown, _c: Context): Response {
  return toApiError(err).getResponse();
}
