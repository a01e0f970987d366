/**
 * Limits — the per-deployment bounds on what one request may ask for, read from the Worker's
 * `[vars]` (or the Node server's environment) once, at startup.
 */

export interface Limits {
  /** Largest `max_tokens`, tokens per row (MAX_TOKENS). */
  readonly maxTokens: number;
  /** Largest `n`, rows decoded as one batch (MAX_N). */
  readonly maxN: number;
  /** Longest prompt after tokenisation (and, for chat, the template), tokens (MAX_PROMPT_TOKENS). */
  readonly maxPromptTokens: number;
  /** Generations running at once in this isolate or process (MAX_CONCURRENT). */
  readonly maxConcurrent: number;
  /** Largest request body, bytes (MAX_BODY_BYTES). */
  readonly maxBodyBytes: number;
  /**
   * How long a generation may go without a token produced or read before it is aborted and its
   * slot freed, ms (STREAM_IDLE_MS): the runtime may never report a client that left.
   */
  readonly streamIdleMs: number;
  /**
   * What the isolate may hold, MiB (MEMORY_BUDGET_MB): the model's baseline plus the estimated
   * peaks of the generations running (src/model/memory.ts). None unless set; the Worker sets it
   * in wrangler.toml, under Workers' 128 MB.
   */
  readonly memoryBudgetMb: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxTokens: 1000,
  maxN: 8,
  maxPromptTokens: 512,
  maxConcurrent: 4,
  maxBodyBytes: 64 * 1024,
  streamIdleMs: 5000,
  memoryBudgetMb: Number.POSITIVE_INFINITY,
};

const VARS: Record<keyof Limits, string> = {
  maxTokens: "MAX_TOKENS",
  maxN: "MAX_N",
  maxPromptTokens: "MAX_PROMPT_TOKENS",
  maxConcurrent: "MAX_CONCURRENT",
  maxBodyBytes: "MAX_BODY_BYTES",
  streamIdleMs: "STREAM_IDLE_MS",
  memoryBudgetMb: "MEMORY_BUDGET_MB",
};

/**
 * Limits from environment variables; an unset or empty variable keeps its default. Throws an
 * Error naming the variable when one is not a positive integer.
 */
export function limitsFromVars(vars: Readonly<Record<string, unknown>>): Limits {
  const limits: Record<string, number> = { ...DEFAULT_LIMITS };
  for (const [key, name] of Object.entries(VARS)) {
    const raw = vars[name];
    if (raw === undefined || raw === "") continue;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(raw)}`);
    limits[key] = value;
  }
  return limits as unknown as Limits;
}
