// Parity check for an exported model: onnxruntime vs PyTorch logits, and KV-cache incremental
// decoding vs one full-sequence forward. Usage: node training/check-onnx.mjs models/<name>
// Reads training/work/parity.json written by export.py; exits 1 when a difference exceeds 1e-3.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import ort from "onnxruntime-node";

const TOLERANCE = 1e-3;
const dir = process.argv[2];
const config = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
const fixture = JSON.parse(readFileSync(new URL("./work/parity.json", import.meta.url), "utf8"));
const session = await ort.InferenceSession.create(join(dir, "onnx", "model.onnx"));
// GPT-2 and Llama name their sizes differently (src/model/config.ts maps both the same way)
const layers = config.n_layer ?? config.num_hidden_layers;
const heads = config.num_key_value_heads ?? config.n_head ?? config.num_attention_heads;
const headDim = config.head_dim ?? (config.n_embd ?? config.hidden_size) / (config.n_head ?? config.num_attention_heads);
const V = config.vocab_size;

const i64 = (values, dims) => new ort.Tensor("int64", BigInt64Array.from(values, BigInt), dims);
const emptyPast = () => {
  const feeds = {};
  for (let i = 0; i < layers; i++) {
    for (const kv of ["key", "value"]) {
      feeds[`past_key_values.${i}.${kv}`] = new ort.Tensor("float32", new Float32Array(0), [1, heads, 0, headDim]);
    }
  }
  return feeds;
};

const ids = fixture.input_ids;
const n = ids.length;
const full = await session.run({
  input_ids: i64(ids, [1, n]),
  attention_mask: i64(
    ids.map(() => 1),
    [1, n],
  ),
  position_ids: i64(
    ids.map((_, t) => t),
    [1, n],
  ),
  ...emptyPast(),
});
const fullLogits = full.logits.data;
let maxTorch = 0;
for (let i = 0; i < fullLogits.length; i++) maxTorch = Math.max(maxTorch, Math.abs(fullLogits[i] - fixture.full_logits[i]));

let past = emptyPast();
let maxIncremental = 0;
for (let t = 0; t < n; t++) {
  const out = await session.run({
    input_ids: i64([ids[t]], [1, 1]),
    attention_mask: i64(Array(t + 1).fill(1), [1, t + 1]),
    position_ids: i64([t], [1, 1]),
    ...past,
  });
  const row = out.logits.data;
  for (let v = 0; v < V; v++) maxIncremental = Math.max(maxIncremental, Math.abs(row[v] - fullLogits[t * V + v]));
  past = {};
  for (let i = 0; i < layers; i++) {
    for (const kv of ["key", "value"]) past[`past_key_values.${i}.${kv}`] = out[`present.${i}.${kv}`];
  }
}
const report = { tokens: n, max_abs_onnx_vs_torch: maxTorch, max_abs_incremental_vs_full: maxIncremental, tolerance: TOLERANCE };
console.log(JSON.stringify(report));
if (!(maxTorch <= TOLERANCE && maxIncremental <= TOLERANCE)) process.exit(1);
