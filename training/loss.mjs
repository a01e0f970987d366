// Held-out loss of every ONNX file of a model, through onnxruntime (the runtime that serves it),
// on the validation stream train.py scores: consecutive full-context windows, mean NLL per token.
// Against the first file (onnx/model.onnx, fp32) it also reports, per variant, the loss cost in
// %, the mean KL divergence fp32 || variant and the mean |ΔH| of the T = 1 distribution per token, so a quantized file's price is on its
// card. Variants are scored as they are served, one token per run through their own KV cache
// (a float16 cache rounds every earlier position). Usage: node training/loss.mjs models/<name>   (after training/valid.py for that model)
// Writes models/<name>/variants.json.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import ort from "onnxruntime-node";

/** A variant may serve with its export's schedules and calibration only within these (the asset build checks). */
const MAX_LOSS_COST_PERCENT = 1;
/**
 * Largest |mean entropy shift| at T = 1, nats: a systematic shift this size moves every target by
 * under 0.3 % of the lowest fitted one (3.5), against a 2 % pooled tracking bound.
 */
const MAX_ENTROPY_SHIFT = 0.01;

const dir = process.argv[2];
if (!dir) {
  console.error("usage: node training/loss.mjs models/<name>");
  process.exit(2);
}
const config = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
const valid = JSON.parse(readFileSync(new URL("./work/valid_ids.json", import.meta.url), "utf8"));
const length = config.n_positions ?? config.max_position_embeddings;
const layers = config.n_layer ?? config.num_hidden_layers;
const kvHeads = config.num_key_value_heads ?? config.n_head ?? config.num_attention_heads;
const headDim = config.head_dim ?? (config.n_embd ?? config.hidden_size) / (config.n_head ?? config.num_attention_heads);
const V = config.vocab_size;
const ids = valid.ids;
const windows = Math.floor((ids.length - 1) / length);

const files = readdirSync(join(dir, "onnx"))
  .filter((f) => f.endsWith(".onnx"))
  .sort((a, b) => (a === "model.onnx" ? -1 : b === "model.onnx" ? 1 : a.localeCompare(b)));
const sessions = await Promise.all(files.map((f) => ort.InferenceSession.create(join(dir, "onnx", f))));
const i64 = (values, dims) => new ort.Tensor("int64", BigInt64Array.from(values, BigInt), dims);

function feeds(session, x) {
  const n = x.length;
  const f = { input_ids: i64(x, [1, n]), attention_mask: i64(new Array(n).fill(1), [1, n]) };
  if (session.inputNames.includes("position_ids"))
    f.position_ids = i64(
      x.map((_, t) => t),
      [1, n],
    );
  // An empty cache in the graph's own KV dtype (a float16 cache takes Uint16Array bits).
  const kvType = session.inputMetadata.find((m) => m.name === "past_key_values.0.key")?.type ?? "float32";
  const empty = kvType === "float16" ? new Uint16Array(0) : new Float32Array(0);
  for (let i = 0; i < layers; i++) for (const kv of ["key", "value"]) f[`past_key_values.${i}.${kv}`] = new ort.Tensor(kvType, empty, [1, kvHeads, 0, headDim]);
  return f;
}

/** log-softmax of row t of a [n, V] logits array, into out. */
function logSoftmax(logits, t, out) {
  let max = -Infinity;
  for (let v = 0; v < V; v++) max = Math.max(max, logits[t * V + v]);
  let sum = 0;
  for (let v = 0; v < V; v++) sum += Math.exp(logits[t * V + v] - max);
  const lse = max + Math.log(sum);
  for (let v = 0; v < V; v++) out[v] = logits[t * V + v] - lse;
}

const nll = files.map(() => 0);
const kl = files.map(() => 0);
const maxAbs = files.map(() => 0);
const entropyDiff = files.map(() => 0);
const entropyBias = files.map(() => 0);
const entropy = (logp) => {
  let h = 0;
  for (let v = 0; v < V; v++) h -= Math.exp(logp[v]) * logp[v];
  return h;
};
const ref = new Float32Array(V);
const other = new Float32Array(V);
const started = Date.now();
/** Logits [length, V] of a variant as it is served: one token per run, its own cache fed back. */
async function incremental(session, x) {
  const out = new Float32Array(x.length * V);
  let f = feeds(session, [x[0]]);
  for (let t = 0; t < x.length; t++) {
    const r = await session.run(f);
    out.set(r.logits.data, t * V);
    if (t + 1 === x.length) break;
    f = { input_ids: i64([x[t + 1]], [1, 1]), attention_mask: i64(new Array(t + 2).fill(1), [1, t + 2]) };
    if (session.inputNames.includes("position_ids")) f.position_ids = i64([t + 1], [1, 1]);
    for (let i = 0; i < layers; i++) for (const kv of ["key", "value"]) f[`past_key_values.${i}.${kv}`] = r[`present.${i}.${kv}`];
  }
  return out;
}

for (let w = 0; w < windows; w++) {
  const x = ids.slice(w * length, (w + 1) * length);
  const y = ids.slice(w * length + 1, (w + 1) * length + 1);
  // fp32 in one full-sequence run (training/check-onnx.mjs pins it to its incremental decode).
  const outs = [(await sessions[0].run(feeds(sessions[0], x))).logits.data];
  for (let k = 1; k < files.length; k++) outs.push(await incremental(sessions[k], x));
  for (let t = 0; t < length; t++) {
    logSoftmax(outs[0], t, ref);
    nll[0] -= ref[y[t]];
    const h = entropy(ref);
    for (let k = 1; k < files.length; k++) {
      logSoftmax(outs[k], t, other);
      nll[k] -= other[y[t]];
      let d = 0;
      for (let v = 0; v < V; v++) {
        d += Math.exp(ref[v]) * (ref[v] - other[v]);
        maxAbs[k] = Math.max(maxAbs[k], Math.abs(outs[0][t * V + v] - outs[k][t * V + v]));
      }
      kl[k] += d;
      const dh = entropy(other) - h;
      entropyDiff[k] += Math.abs(dh);
      entropyBias[k] += dh;
    }
  }
  process.stderr.write(`window ${w + 1}/${windows}, ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
}
const scored = windows * length;
/** The model id of an ONNX file: as src/model/model.ts computes it. */
const idOf = (f) =>
  createHash("sha256")
    .update(readFileSync(join(dir, "onnx", f)))
    .digest("hex")
    .slice(0, 16);
const baseId = idOf(files[0]);
const base = nll[0] / scored;
const report = {
  command: `node training/loss.mjs ${dir}`,
  runtime: `onnxruntime-node ${ort.env.versions?.node ?? ""}`.trim(),
  validation: { chapters: valid.chapters, tokens_scored: scored, window: length },
  variants_scored: "incrementally, one token per run through their own KV cache",
  inheritance_rule: `a variant uses the schedules and calibration of onnx/model.onnx when its loss cost is at most ${MAX_LOSS_COST_PERCENT} % and its mean entropy shift at T = 1 at most ${MAX_ENTROPY_SHIFT} nats`,
  files: files.map((f, k) => ({
    file: `onnx/${f}`,
    model_id: k === 0 ? baseId : idOf(f),
    bytes: statSync(join(dir, "onnx", f)).size,
    valid_nll: Number((nll[k] / scored).toFixed(4)),
    ...(k > 0
      ? {
          loss_cost_percent: Number(((100 * (nll[k] / scored - base)) / base).toFixed(3)),
          mean_kl_vs_fp32: Number((kl[k] / scored).toExponential(3)),
          mean_abs_entropy_diff_vs_fp32: Number((entropyDiff[k] / scored).toExponential(3)),
          mean_entropy_diff_vs_fp32: Number((entropyBias[k] / scored).toExponential(3)),
          max_abs_logit_diff: Number(maxAbs[k].toFixed(4)),
          inherits_fits_of: (100 * (nll[k] / scored - base)) / base <= MAX_LOSS_COST_PERCENT && Math.abs(entropyBias[k] / scored) <= MAX_ENTROPY_SHIFT ? baseId : null,
        }
      : {}),
  })),
};
writeFileSync(join(dir, "variants.json"), `${JSON.stringify(report, null, 1)}\n`);
console.log(JSON.stringify(report, null, 1));
