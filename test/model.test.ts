import { readFile } from "node:fs/promises";
import * as ortWeb from "onnxruntime-web/wasm";
import { describe, expect, test } from "vitest";
import { readModelDir } from "../src/model/backend-node.js";
import { webSessionOptions } from "../src/model/backend-web.js";
import { parseModelConfig } from "../src/model/config.js";
import { loadModel } from "../src/model/model.js";
import type { OrtModule } from "../src/model/ort.js";
import { createTextStream } from "../src/model/tokenizer.js";
import { nodeModel, nodeModelQ8, TEST_MODEL, TEST_MODEL_DIR, webModel, webModelQ8 } from "./helpers/model.js";

const config = JSON.parse(await readFile(`${TEST_MODEL_DIR}/config.json`, "utf8")) as Record<string, unknown>;

const maxAbsDiff = (a: Float32Array, b: Float32Array): number => {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
};

function logSoftmaxAt(z: Float32Array, i: number): number {
  let m = -Infinity;
  for (const v of z) m = Math.max(m, v);
  let s = 0;
  for (const v of z) s += Math.exp(v - m);
  return z[i]! - m - Math.log(s);
}

describe("model config", () => {
  test("maps GPT-2 and Llama/Qwen naming to one spec", () => {
    const gpt2 = parseModelConfig({ model_type: "gpt2", n_layer: 4, n_head: 4, n_embd: 256, n_positions: 1024, vocab_size: 4096, eos_token_id: 0 });
    expect(gpt2).toMatchObject({ layers: 4, kvHeads: 4, headDim: 64, maxPositions: 1024, vocabSize: 4096, eosTokenIds: [0] });
    const qwen = parseModelConfig({
      model_type: "qwen2",
      num_hidden_layers: 24,
      num_attention_heads: 14,
      num_key_value_heads: 2,
      hidden_size: 896,
      max_position_embeddings: 32768,
      vocab_size: 151936,
      eos_token_id: [151643, 151645],
    });
    expect(qwen).toMatchObject({ layers: 24, kvHeads: 2, headDim: 64, maxPositions: 32768, eosTokenIds: [151643, 151645] });
    expect(parseModelConfig({ num_hidden_layers: 2, num_attention_heads: 8, hidden_size: 512, head_dim: 128, max_position_embeddings: 8, vocab_size: 10 }).headDim).toBe(128);
  });

  test("names the missing field", () => {
    expect(() => parseModelConfig({ n_layer: 4, n_head: 4, n_embd: 256, vocab_size: 10 })).toThrow(/max_position_embeddings or n_positions/);
    expect(() => parseModelConfig({ n_layer: 4, n_head: 3, n_embd: 256, n_positions: 8, vocab_size: 10 })).toThrow(/not divisible/);
    expect(() => parseModelConfig(null)).toThrow(/not a JSON object/);
  });
});

describe(`model ${TEST_MODEL}`, () => {
  test("loads on onnxruntime-node with the advertised shapes", async () => {
    const m = await nodeModel();
    expect(m.spec).toMatchObject({ modelType: config["model_type"], maxPositions: 1024, vocabSize: 4096, eosTokenIds: [0] });
    if (m.spec.modelType === "llama") {
      // grouped-query attention: the cache the engine carries has fewer heads than attention has
      expect(m.spec.kvHeads).toBe(config["num_key_value_heads"]);
      expect(m.spec.kvHeads).toBeLessThan(config["num_attention_heads"] as number);
    }
    expect(m.id).toMatch(/^[0-9a-f]{16}$/);
    const ids = m.tokenizer.encode("In the beginning");
    const { logits, cache } = await m.lm.prefill(ids, 3);
    expect(logits.length).toBe(3 * m.spec.vocabSize);
    expect(cache).toMatchObject({ rows: 3, length: ids.length });
    // the cache has the graph's key/value heads (under GQA fewer than the attention heads) and head size
    expect(cache.past[0]!["past_key_values.0.key"]!.dims).toEqual([3, m.spec.kvHeads, ids.length, m.spec.headDim]);
    expect(logits.every(Number.isFinite)).toBe(true);
    // the three rows share the prompt, so their logits are identical
    expect(maxAbsDiff(logits.subarray(0, 4096), logits.subarray(2 * 4096))).toBe(0);
  });

  test("onnxruntime-web (wasm) gives the same logits as onnxruntime-node", async () => {
    const [n, w] = await Promise.all([nodeModel(), webModel()]);
    expect(w.id).toBe(n.id);
    const ids = n.tokenizer.encode("And God said, Let there be light");
    const a = await n.lm.prefill(ids, 2);
    const b = await w.lm.prefill(ids, 2);
    expect(maxAbsDiff(a.logits, b.logits)).toBeLessThan(1e-3);
    const next = new Int32Array([5, 9]);
    const a2 = await n.lm.step(next, a.cache);
    const b2 = await w.lm.step(next, b.cache);
    expect(maxAbsDiff(a2.logits, b2.logits)).toBeLessThan(1e-3);
    // different tokens per row give different rows
    expect(maxAbsDiff(a2.logits.subarray(0, 4096), a2.logits.subarray(4096))).toBeGreaterThan(1e-2);
  });

  test("a step in runs of one row gives the batched run's logits and drops each run's old cache", async () => {
    // webModel() runs one row per session run (WEB_ROWS_PER_RUN); a second session on the same wasm runs all rows at once.
    const w = await webModel();
    const batched = await loadModel(ortWeb as unknown as OrtModule, await readModelDir(TEST_MODEL_DIR), webSessionOptions());
    const ids = w.tokenizer.encode("And the LORD spake unto Moses");
    let a = await w.lm.prefill(ids, 3);
    let b = await batched.lm.prefill(ids, 3);
    expect(a.cache.past).toHaveLength(3);
    expect(b.cache.past).toHaveLength(1);
    for (const tokens of [
      [5, 9, 11],
      [7, 7, 300],
    ]) {
      const old = a.cache.past;
      a = await w.lm.step(new Int32Array(tokens), a.cache);
      b = await batched.lm.step(new Int32Array(tokens), b.cache);
      // one row's matrix products take another kernel path than eight rows' (bitwise equal only with prepacked weights)
      expect(maxAbsDiff(a.logits, b.logits)).toBeLessThan(1e-4);
      // a disposed tensor no longer holds its data, so nothing keeps the old cache alive
      for (const run of old) expect(() => Object.values(run)[0]!.data).toThrow();
    }
    expect(a.cache).toMatchObject({ rows: 3, length: ids.length + 2 });
    expect(a.cache.past[2]!["past_key_values.0.key"]!.dims).toEqual([1, w.spec.kvHeads, ids.length + 2, w.spec.headDim]);
  });

  test("incremental decoding with the KV cache equals a full forward", async () => {
    const m = await nodeModel();
    const ids = m.tokenizer.encode("Then the LORD answered Job out of the whirlwind, and said");
    for (const backend of [m, await webModel()]) {
      let inc = await backend.lm.prefill(ids.slice(0, 1), 1);
      for (let t = 1; t < ids.length; t++) inc = await backend.lm.step(new Int32Array([ids[t]!]), inc.cache);
      const full = await backend.lm.prefill(ids, 1);
      expect(inc.cache.length).toBe(ids.length);
      expect(maxAbsDiff(inc.logits, full.logits)).toBeLessThan(1e-3);
    }
  });

  test("held-out NLL matches the model card, so the shipped file is the trained one", async () => {
    const m = await nodeModel();
    const evaluation = JSON.parse(await readFile(`${TEST_MODEL_DIR}/evaluation.json`, "utf8"));
    const text = await readFile(evaluation.fixture.path, "utf8");
    const ids = m.tokenizer.encode(text);
    expect(ids.length).toBe(evaluation.fixture.tokens);
    expect(m.tokenizer.decode(ids)).toBe(text);
    let out = await m.lm.prefill(ids.slice(0, 1), 1);
    let nll = 0;
    for (let t = 1; t < ids.length; t++) {
      nll -= logSoftmaxAt(out.logits, ids[t]!);
      if (t < ids.length - 1) out = await m.lm.step(new Int32Array([ids[t]!]), out.cache);
    }
    const mean = nll / (ids.length - 1);
    expect(Math.abs(mean - evaluation.fixture.mean_nll)).toBeLessThan(0.05);
    // and well below the unigram baseline in the card
    const training = JSON.parse(await readFile(`${TEST_MODEL_DIR}/training.json`, "utf8"));
    expect(mean).toBeLessThan(training.unigram_nll_nats_per_token - 1);
  });
});

/** KL(p || q) of the softmaxes of two logit rows, nats. */
function klOfLogits(p: Float32Array, q: Float32Array): number {
  const lp = Array.from(p, (_, i) => logSoftmaxAt(p, i));
  const lq = Array.from(q, (_, i) => logSoftmaxAt(q, i));
  return lp.reduce((s, l, i) => s + Math.exp(l) * (l - lq[i]!), 0);
}

describe("q8 variant (training/quantize.py: int8 weights, float16 KV cache)", () => {
  test("is the file its card measured, with a float16 cache, on both runtimes", async () => {
    const variants = JSON.parse(await readFile(`${TEST_MODEL_DIR}/variants.json`, "utf8"));
    const [fp32, n, w] = await Promise.all([nodeModel(), nodeModelQ8(), webModelQ8()]);
    const q8 = variants.files.find((f: { file: string }) => f.file === "onnx/model_quantized.onnx");
    expect(n.id).toBe(q8.model_id);
    expect(w.id).toBe(q8.model_id);
    expect(q8.inherits_fits_of).toBe(fp32.id);
    expect(q8.loss_cost_percent).toBeLessThan(1);
    for (const m of [n, w]) expect([m.dtype, m.lm.kvDtype]).toEqual(["q8", "float16"]);
    expect([fp32.dtype, fp32.lm.kvDtype]).toEqual(["fp32", "float32"]);
  });

  test("decodes through its float16 cache, tiled and one row per run, close to fp32 at every step", async () => {
    const [fp32, n, w] = await Promise.all([nodeModel(), nodeModelQ8(), webModelQ8()]);
    const ids = fp32.tokenizer.encode("And Moses went up from the plains of Moab");
    let ref = await fp32.lm.prefill(ids, 3);
    let a = await n.lm.prefill(ids, 3);
    let b = await w.lm.prefill(ids, 3);
    expect(a.cache.past[0]!["past_key_values.0.key"]!.type).toBe("float16");
    expect(b.cache.past).toHaveLength(3);
    const V = fp32.spec.vocabSize;
    let worstKl = 0;
    for (const tokens of [
      [5, 9, 11],
      [7, 7, 300],
      [40, 41, 42],
    ]) {
      const next = new Int32Array(tokens);
      [ref, a, b] = await Promise.all([fp32.lm.step(next, ref.cache), n.lm.step(next, a.cache), w.lm.step(next, b.cache)]);
      for (let r = 0; r < 3; r++) {
        const row = (x: Float32Array) => x.subarray(r * V, (r + 1) * V);
        // the two runtimes quantize activations with their own kernels: close to each other, not bitwise
        worstKl = Math.max(worstKl, klOfLogits(row(ref.logits), row(a.logits)), klOfLogits(row(ref.logits), row(b.logits)), klOfLogits(row(a.logits), row(b.logits)));
      }
    }
    expect(b.cache.past[1]!["past_key_values.3.value"]!.dims).toEqual([1, fp32.spec.kvHeads, ids.length + 3, fp32.spec.headDim]);
    // variants.json measured a mean KL of 7e-5 over 49 152 held-out tokens; any one step stays far below a real model change
    expect(worstKl).toBeLessThan(5e-3);
  });
});

describe("tokenizer", () => {
  test("round-trips text, including multi-byte characters", async () => {
    const m = await nodeModel();
    for (const s of ["And it came to pass, that Abraham's 12 sons", "naïve café — ünïcödé 🙂", "  two  spaces\nnewline"]) {
      expect(m.tokenizer.decode(m.tokenizer.encode(s))).toBe(s);
    }
  });

  test("streaming detokenization emits exactly the decoded text, never half a character", async () => {
    const m = await nodeModel();
    const s = "Selah. 🙂 The café's naïve 12 ünïcödé";
    const ids = m.tokenizer.encode(s);
    const stream = createTextStream(m.tokenizer);
    const pieces = ids.map((id) => stream.push(id));
    expect(pieces.join("")).toBe(s);
    expect(pieces.some((p) => p.includes("\uFFFD"))).toBe(false);
    expect(stream.text).toBe(s);
  });
});

describe("tokenizer in @huggingface/transformers", () => {
  test("AutoTokenizer loads the model's files offline and agrees with ours", async () => {
    const { AutoTokenizer, env } = await import("@huggingface/transformers");
    env.allowRemoteModels = false;
    env.localModelPath = "models/";
    const tf = await AutoTokenizer.from_pretrained(TEST_MODEL);
    const m = await nodeModel();
    for (const s of ["And it came to pass, that Abraham's 12 sons", "naïve café 🙂", await readFile("test/fixtures/heldout.txt", "utf8")]) {
      const ids = tf.encode(s, { add_special_tokens: false });
      expect(ids).toEqual(m.tokenizer.encode(s));
      expect(tf.decode(ids)).toBe(s);
    }
    expect(tf.eos_token_id).toBe(0);
  });

  test("AutoModelForCausalLM runs the export as it is (the optimum layout) and its greedy tokens are ours", async () => {
    const { AutoModelForCausalLM, AutoTokenizer, env } = await import("@huggingface/transformers");
    env.allowRemoteModels = false;
    env.localModelPath = "models/";
    const tf = await AutoTokenizer.from_pretrained(TEST_MODEL);
    const lm = await AutoModelForCausalLM.from_pretrained(TEST_MODEL, { dtype: "fp32", device: "cpu" });
    const m = await nodeModel();
    const prompt = "And Moses said unto the people";
    const ids = m.tokenizer.encode(prompt);
    // transformers.js feeds the graph its own way (its names, its cache, its position ids): 12 greedy
    // tokens through its cache equal 12 argmax steps through ours
    const out = (await lm.generate({ ...tf(prompt), max_new_tokens: 12, do_sample: false })) as unknown as { tolist(): bigint[][] };
    const theirs = out.tolist()[0]!.slice(ids.length).map(Number);
    let step = await m.lm.prefill(ids, 1);
    const ours: number[] = [];
    for (let t = 0; t < 12; t++) {
      let best = 0;
      for (let i = 1; i < step.logits.length; i++) if (step.logits[i]! > step.logits[best]!) best = i;
      ours.push(best);
      step = await m.lm.step(new Int32Array([best]), step.cache);
    }
    expect(theirs).toEqual(ours);
  });
});
