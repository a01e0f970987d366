/**
 * isentropic against @huggingface/transformers' `generate()` on the same model files, the same
 * runtime (onnxruntime-node, CPU) and the same request: one row, the same prompt, plain sampling
 * over the whole vocabulary (T = 1, no top-k) for exactly the same number of new tokens.
 */
import { dirname, resolve } from "node:path";
import ortNode from "onnxruntime-node";
import type { Catalog } from "../control/catalog.js";
import type { Model } from "../model/model.js";
import { timeGenerate, type Workload } from "./bench-engine.js";
import { packageVersion } from "./bench-machine.js";
import { type Measurement, measure } from "./bench-measurement.js";
import { interleave } from "./bench-stats.js";

export interface TransformersResult {
  readonly measurement?: Measurement;
  /** What runtime each side ran on, or why transformers.js could not run. */
  readonly note: string;
}

/** Load the model directory offline with transformers.js and race its generate() against ours. */
export async function benchTransformers(model: Model, catalog: Catalog, modelDir: string, w: Workload): Promise<TransformersResult> {
  const version = packageVersion("@huggingface/transformers");
  let tjs: typeof import("@huggingface/transformers");
  let lm: Awaited<ReturnType<typeof tjs.AutoModelForCausalLM.from_pretrained>>;
  let tokenizer: Awaited<ReturnType<typeof tjs.AutoTokenizer.from_pretrained>>;
  try {
    tjs = await import("@huggingface/transformers");
    tjs.env.allowRemoteModels = false;
    tjs.env.localModelPath = `${dirname(resolve(modelDir))}/`;
    const name = resolve(modelDir).split("/").at(-1)!;
    tokenizer = await tjs.AutoTokenizer.from_pretrained(name);
    lm = await tjs.AutoModelForCausalLM.from_pretrained(name, { dtype: "fp32", device: "cpu" });
  } catch (e) {
    return { note: `@huggingface/transformers ${version} could not load ${modelDir}: ${(e as Error).message}` };
  }
  // The session transformers.js built must be onnxruntime-node's, or the comparison is not like for like.
  const session = (lm as unknown as { sessions: Record<string, object | undefined> }).sessions["model"];
  // onnxruntime-common exports its session class as a factory type; it is a class at run time.
  if (!(session instanceof (ortNode.InferenceSession as unknown as new () => object))) {
    return { note: `@huggingface/transformers ${version} did not run on onnxruntime-node (session is ${session?.constructor?.name}); not compared` };
  }
  const inputs = tokenizer(model.tokenizer.decode([...w.promptIds]));
  const promptLength = (inputs["input_ids"] as { dims: number[] }).dims[1]!;
  if (promptLength !== w.promptIds.length) {
    return { note: `transformers.js tokenised the prompt to ${promptLength} tokens, isentropic to ${w.promptIds.length}; not compared` };
  }
  const theirs = async (): Promise<number> => {
    const started = performance.now();
    const out = (await lm.generate({ ...inputs, max_new_tokens: w.tokens, min_new_tokens: w.tokens, do_sample: true, temperature: 1, top_k: 0 })) as { dims: number[] };
    tokenizer.batch_decode(out as never, { skip_special_tokens: true });
    const generated = out.dims[1]! - promptLength;
    if (generated !== w.tokens) throw new Error(`transformers.js generated ${generated} tokens, expected ${w.tokens}`);
    return (generated * 1000) / (performance.now() - started);
  };
  const ours = async (): Promise<number> => (w.tokens * 1000) / (await timeGenerate(model, catalog, { name: "fixed", rows: 1, entropy: { mode: "fixed" } }, w));
  await theirs();
  const [a, b] = await interleave(w.rounds, [ours, theirs]);
  return {
    measurement: measure(
      { key: "transformers", group: "transformers.js", what: `isentropic / transformers.js generate(), tokens/s, n = 1, ${w.tokens} tokens, T = 1 sampling`, unit: "tokens/s" },
      { label: "isentropic generate() (fixed T = 1)", values: a! },
      { label: `transformers.js ${version} generate()`, values: b! },
    ),
    note: `both on onnxruntime-node ${ortNode.env.versions.node ?? "?"} (CPU); transformers.js ${version} loaded ${modelDir} offline (fp32, onnx/model.onnx; do_sample, temperature 1, top_k 0, min_new_tokens = max_new_tokens = ${w.tokens}), with its own default session options; its sampler draws from Math.random, so its tokens are not seeded and differ from ours (the cost per token does not depend on which are drawn)`,
  };
}
