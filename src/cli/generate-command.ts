/**
 * What `npm run generate` does: generate on onnxruntime-node and print the text
 * and a compact telemetry summary (mean temperature and entropy per window of positions).
 */

import type { Catalog } from "../control/catalog.js";
import { generate, type TokenEvent } from "../decode/generate.js";
import { type ControlPlan, planControl } from "../decode/plan.js";
import type { Model } from "../model/model.js";
import { OptionError } from "../sampling/option-error.js";
import { createRng } from "../sampling/rng.js";
import { UsageError } from "./args.js";
import type { GenerateValues } from "./generate-options.js";

export interface GenerateIo {
  loadModel(dir: string): Promise<Model>;
  loadCatalog(root: string, modelId: string): Promise<Catalog>;
  stdout(line: string): void;
  stderr(line: string): void;
}

/** The plan a request with these settings gets; a setting the planner refuses is a UsageError naming its flag. */
function planOf(o: GenerateValues, rows: number, vocabSize: number, catalog: Catalog): ControlPlan {
  try {
    return planControl(
      { mode: o.mode, ...(o.target !== undefined ? { target: o.target } : {}), ...(o.gain !== undefined ? { gain: o.gain } : {}) },
      { temperature: o.temperature, rows, vocabSize, catalog },
    );
  } catch (e) {
    if (e instanceof OptionError) throw new UsageError(e.option === "rows" ? "n" : e.option, e.message);
    throw e;
  }
}

/** Generate as `o` asks and print the rows and the telemetry; the seed (drawn when absent) is printed. */
export async function runGenerate(o: GenerateValues, io: GenerateIo): Promise<void> {
  const model = await io.loadModel(o.model);
  const catalog = await io.loadCatalog(o.schedules, model.id);
  const rows = o.n;
  const seed = o.seed ?? Math.floor(Math.random() * 2 ** 32);
  const plan = planOf(o, rows, model.spec.vocabSize, catalog);
  const events: TokenEvent[] = [];
  const started = performance.now();
  for await (const e of generate(model, {
    promptIds: model.tokenizer.encode(o.prompt),
    rows,
    maxTokens: o.tokens,
    controller: plan.controller,
    filters: plan.samplers,
    rng: createRng(seed),
  })) {
    if (e.type === "token") events.push(e);
    else io.stderr(`[fallback at token ${e.index}: ${e.reason}]`);
  }
  const seconds = (performance.now() - started) / 1000;

  io.stdout(`model ${model.name} (${model.id}), mode ${plan.mode}${plan.notice ? ` (${plan.notice.reason})` : ""}, seed ${seed}`);
  for (let b = 0; b < rows; b++) {
    io.stdout(
      `\n--- row ${b} ---\n${o.prompt}${events
        .filter((e) => e.row === b)
        .map((e) => e.text)
        .join("")}`,
    );
  }
  io.stdout("\nwindow      mean T   mean H (nats)");
  for (const [a, z] of [
    [0, 10],
    [10, 50],
    [50, 300],
    [300, 1000],
  ] as const) {
    const w = events.filter((e) => e.index >= a && e.index < z);
    if (w.length === 0) continue;
    const mean = (f: (e: TokenEvent) => number) => (w.reduce((s, e) => s + f(e), 0) / w.length).toFixed(3);
    io.stdout(`[${a},${z})`.padEnd(12) + mean((e) => e.temperature).padStart(6) + mean((e) => e.entropy).padStart(12));
  }
  io.stdout(`\n${events.length} tokens in ${seconds.toFixed(2)} s (${(events.length / seconds).toFixed(0)} tokens/s)`);
}
