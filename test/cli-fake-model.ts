/**
 * A fake model for the CLI orchestration tests: a tiny decoder whose next-token logits depend
 * on the row's last token (rows that drew different tokens diverge, as continuations of one
 * prompt do), and a tokenizer that maps characters to ids. No onnxruntime.
 */
import type { CausalLM, KvCache } from "../src/model/causal-lm.js";
import type { Model } from "../src/model/model.js";

/**
 * The fake's decoder alone: next-token logits depend on the row's last token only, so rows that
 * drew different tokens diverge, as continuations of one prompt do.
 */
export function createFakeLm(vocab = 32, maxPositions = 256): CausalLM {
  const logitsFor = (last: readonly number[]): Float32Array => {
    const out = new Float32Array(last.length * vocab);
    last.forEach((tok, b) => {
      for (let i = 0; i < vocab; i++) out[b * vocab + i] = Math.cos(0.7 * i * (tok + 1)) * 3;
    });
    return out;
  };
  const cache = (rows: number, length: number): KvCache => ({ rows, length, past: [] });
  return {
    spec: { modelType: "fake", layers: 1, kvHeads: 1, headDim: 1, vocabSize: vocab, maxPositions, eosTokenIds: [] },
    kvDtype: "float32",
    async prefill(ids, rows) {
      return { logits: logitsFor(new Array(rows).fill(ids[ids.length - 1])), cache: cache(rows, ids.length) };
    },
    async step(tokens, c) {
      return { logits: logitsFor(Array.from(tokens)), cache: cache(c.rows, c.length + 1) };
    },
  };
}

export function createFakeModel(vocab = 32, id = "fake00000000cafe"): Model {
  const lm = createFakeLm(vocab);
  return {
    name: "fake",
    dtype: "fp32",
    id,
    spec: lm.spec,
    lm,
    tokenizer: {
      encode: (text) => Array.from(text, (c) => c.charCodeAt(0) % vocab),
      decode: (ids) => ids.map((i) => String.fromCharCode(97 + (i % 26))).join(""),
      chatTemplate: undefined,
      specialTokens: {},
    },
  };
}

/** A stream that keeps what is written, for progress bars and log lines. */
export function createSink(): { write(text: string): boolean; readonly text: string } {
  const parts: string[] = [];
  return {
    write: (text) => parts.push(text) > 0,
    get text() {
      return parts.join("");
    },
  };
}
