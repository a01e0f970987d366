/**
 * Weight variants — the tokens/s of the q8 file (int8 weights, float16 KV cache) against the
 * fp32 export, each pair on one runtime and interleaved: onnxruntime-web's wasm (the Worker's
 * runtime, run here in Node) and onnxruntime-node. The Worker serves whichever wrangler.toml's
 * MODEL_DTYPE names; its memory is in the workerd section's facts.
 */
import type { Catalog } from "../control/catalog.js";
import { loadNodeModel, readModelDir } from "../model/backend-node.js";
import { loadWebModel } from "../model/backend-web.js";
import type { Model } from "../model/model.js";
import { EXACT_UNPROBED, timeGenerate, type Workload, withoutEos } from "./bench-engine.js";
import { type Measurement, measure } from "./bench-measurement.js";
import { interleave } from "./bench-stats.js";

/** n = 1 and n = 8, exact control: one row as most requests, eight as the largest. */
const ROWS = [1, 8] as const;

export async function benchVariants(dir: string, catalog: Catalog, wasm: Uint8Array, w: Workload): Promise<Measurement[]> {
  const runtimes: [string, (dtype: "fp32" | "q8") => Promise<Model>][] = [
    ["web", async (dtype) => loadWebModel(await readModelDir(dir, dtype), { bytes: wasm })],
    ["node", (dtype) => loadNodeModel(dir, 0, dtype)],
  ];
  const out: Measurement[] = [];
  for (const [runtime, load] of runtimes) {
    const [fp32, q8] = [withoutEos(await load("fp32")), withoutEos(await load("q8"))];
    for (const rows of ROWS) {
      const rate = (model: Model) => async () => (rows * w.tokens * 1000) / (await timeGenerate(model, catalog, EXACT_UNPROBED(rows), w));
      const [a, b] = await interleave(w.rounds, [rate(q8), rate(fp32)]);
      const where = runtime === "web" ? "onnxruntime-web wasm (the Worker's runtime), in Node" : "onnxruntime-node";
      out.push(
        measure(
          { key: `variant.${runtime}.${rows}`, group: "weight variants", what: `tokens/s of q8 / fp32 on ${where}, exact, n = ${rows}, ${w.tokens} tokens per row`, unit: "tokens/s" },
          { label: "q8 (int8, float16 cache)", values: a! },
          { label: "fp32", values: b! },
        ),
      );
    }
  }
  return out;
}
