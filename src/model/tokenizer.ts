/**
 * Tokenizer — `tokenizer.json` + `tokenizer_config.json` in memory through @huggingface/tokenizers
 * (tiny, and importable in workerd, unlike @huggingface/transformers), plus incremental
 * detokenization for streaming.
 */
import { Tokenizer } from "@huggingface/tokenizers";

export interface TextTokenizer {
  encode(text: string): number[];
  decode(ids: readonly number[]): string;
  /** Jinja chat template from tokenizer_config.json, if the model has one. */
  readonly chatTemplate: string | undefined;
  /** Special tokens the template may refer to. */
  readonly specialTokens: Readonly<Record<string, string>>;
}

export function createTokenizer(tokenizerJson: unknown, tokenizerConfig: unknown): TextTokenizer {
  const config = (tokenizerConfig ?? {}) as Record<string, unknown>;
  const tok = new Tokenizer(tokenizerJson as object, config);
  const specialTokens: Record<string, string> = {};
  for (const key of ["bos_token", "eos_token", "unk_token", "pad_token"]) {
    const v = config[key];
    if (typeof v === "string") specialTokens[key] = v;
    else if (v && typeof v === "object" && typeof (v as { content?: unknown }).content === "string") {
      specialTokens[key] = (v as { content: string }).content;
    }
  }
  return {
    encode: (text) => tok.encode(text, { add_special_tokens: false }).ids,
    // the library rejects an empty list; the empty sequence decodes to the empty string
    decode: (ids) => (ids.length === 0 ? "" : tok.decode(ids as number[], { skip_special_tokens: true })),
    chatTemplate: typeof config["chat_template"] === "string" ? (config["chat_template"] as string) : undefined,
    specialTokens,
  };
}

/**
 * Streaming detokenizer for one sequence: `push(id)` returns the text that token completes.
 *
 * Decoding token by token breaks multi-byte characters and merges that depend on neighbours, so
 * each push decodes a short window (the tokens since the last emission plus the one before it)
 * and emits what the new tokens add, holding back while the tail is an incomplete UTF-8 sequence
 * (U+FFFD). This is the prefix/read-offset scheme of Hugging Face text-generation-inference;
 * each push costs O(window), not O(sequence).
 */
export interface TextStream {
  push(id: number): string;
  /** All text emitted so far. */
  readonly text: string;
}

export function createTextStream(tokenizer: TextTokenizer): TextStream {
  const ids: number[] = [];
  let prefixOffset = 0;
  let readOffset = 0;
  let emitted = "";
  return {
    push(id) {
      ids.push(id);
      const prefix = tokenizer.decode(ids.slice(prefixOffset, readOffset));
      const full = tokenizer.decode(ids.slice(prefixOffset));
      if (full.length <= prefix.length || full.endsWith("\uFFFD")) return "";
      const delta = full.slice(prefix.length);
      prefixOffset = readOffset;
      readOffset = ids.length;
      emitted += delta;
      return delta;
    },
    get text() {
      return emitted;
    },
  };
}
