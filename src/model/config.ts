/**
 * Model config — the few facts the engine needs from a Hugging Face `config.json`.
 *
 * GPT-2 names its sizes `n_layer` / `n_head` / `n_embd` / `n_positions`; Llama, Qwen, Mistral and
 * most newer models use `num_hidden_layers` / `num_key_value_heads` / `head_dim` /
 * `max_position_embeddings`. Both are mapped here, at the boundary, so nothing else in the engine
 * knows which family it runs.
 */
export interface ModelSpec {
  readonly modelType: string;
  readonly layers: number;
  /** Heads in the KV cache (fewer than attention heads under grouped-query attention). */
  readonly kvHeads: number;
  readonly headDim: number;
  readonly vocabSize: number;
  /** Longest sequence (prompt + generated) the model has positions for. */
  readonly maxPositions: number;
  /** Token ids that end a generation. */
  readonly eosTokenIds: readonly number[];
}

type Json = Record<string, unknown>;

function positiveInt(cfg: Json, keys: readonly string[]): number | undefined {
  for (const k of keys) {
    const v = cfg[k];
    if (typeof v === "number" && Number.isInteger(v) && v > 0) return v;
  }
  return undefined;
}

function required(cfg: Json, keys: readonly string[]): number {
  const v = positiveInt(cfg, keys);
  if (v === undefined) throw new Error(`config.json: missing positive integer ${keys.join(" or ")}`);
  return v;
}

/** Read a parsed config.json. Throws an Error naming the missing field. */
export function parseModelConfig(raw: unknown): ModelSpec {
  if (typeof raw !== "object" || raw === null) throw new Error("config.json: not a JSON object");
  const cfg = raw as Json;
  const layers = required(cfg, ["num_hidden_layers", "n_layer"]);
  const heads = required(cfg, ["num_attention_heads", "n_head"]);
  const hidden = required(cfg, ["hidden_size", "n_embd"]);
  const kvHeads = positiveInt(cfg, ["num_key_value_heads"]) ?? heads;
  const headDim = positiveInt(cfg, ["head_dim"]) ?? hidden / heads;
  if (!Number.isInteger(headDim)) throw new Error(`config.json: hidden size ${hidden} is not divisible by ${heads} heads`);
  const eos = cfg["eos_token_id"];
  const eosTokenIds = Array.isArray(eos) ? eos.filter((x): x is number => Number.isInteger(x)) : Number.isInteger(eos) ? [eos as number] : [];
  return {
    modelType: typeof cfg["model_type"] === "string" ? (cfg["model_type"] as string) : "unknown",
    layers,
    kvHeads,
    headDim,
    vocabSize: required(cfg, ["vocab_size"]),
    maxPositions: required(cfg, ["max_position_embeddings", "n_positions", "n_ctx"]),
    eosTokenIds,
  };
}
