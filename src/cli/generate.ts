/**
 * `npm run generate` — generate from the command line on onnxruntime-node and print the text and
 * a compact telemetry summary (mean temperature and entropy per window of positions).
 *
 *   npm run generate -- --prompt "And it came to pass" --mode exact --target 3 --n 4 --seed 7 --tokens 200
 */
import { parseArgs } from "node:util";
import { generate, type TokenEvent } from "../decode/generate.js";
import { MODES, planControl, type Mode } from "../decode/plan.js";
import { loadNodeModel } from "../model/backend-node.js";
import { createRng } from "../sampling/rng.js";
import { loadCatalogFromDisk } from "./catalog-disk.js";

const { values } = parseArgs({
  options: {
    model: { type: "string", default: "models/kjv-gpt2-4m" },
    prompt: { type: "string", default: "And it came to pass" },
    mode: { type: "string", default: "exact" },
    target: { type: "string" },
    temperature: { type: "string", default: "1" },
    gain: { type: "string" },
    n: { type: "string", default: "1" },
    seed: { type: "string" },
    tokens: { type: "string", default: "100" },
    schedules: { type: "string", default: "schedules" },
  },
});

const num = (s: string | undefined): number | undefined => (s === undefined ? undefined : Number(s));
if (!MODES.includes(values.mode as Mode)) {
  console.error(`--mode must be one of ${MODES.join(", ")}`);
  process.exit(2);
}
const model = await loadNodeModel(values.model);
const catalog = await loadCatalogFromDisk(values.schedules, model.id);
const rows = Number(values.n);
const seed = num(values.seed) ?? Math.floor(Math.random() * 2 ** 32);
const entropy = { mode: values.mode as Mode, target: num(values.target), gain: num(values.gain) };
const plan = planControl(
  Object.fromEntries(Object.entries(entropy).filter(([, v]) => v !== undefined)) as typeof entropy,
  { temperature: Number(values.temperature), rows, vocabSize: model.spec.vocabSize, catalog },
);
const events: TokenEvent[] = [];
const started = performance.now();
for await (const e of generate(model, {
  promptIds: model.tokenizer.encode(values.prompt),
  rows,
  maxTokens: Number(values.tokens),
  controller: plan.controller,
  filters: plan.samplers,
  rng: createRng(seed),
  ...(plan.fallback ? { fallback: plan.fallback } : {}),
})) {
  if (e.type === "token") events.push(e);
  else console.error(`[fallback at token ${e.index}: ${e.reason}]`);
}
const seconds = (performance.now() - started) / 1000;

console.log(`model ${model.name} (${model.id}), mode ${plan.mode}${plan.notice ? ` (${plan.notice.reason})` : ""}, seed ${seed}`);
for (let b = 0; b < rows; b++) {
  console.log(`\n--- row ${b} ---\n${values.prompt}${events.filter((e) => e.row === b).map((e) => e.text).join("")}`);
}
console.log("\nwindow      mean T   mean H (nats)");
for (const [a, z] of [[0, 10], [10, 50], [50, 300], [300, 1000]] as const) {
  const w = events.filter((e) => e.index >= a && e.index < z);
  if (w.length === 0) continue;
  const mean = (f: (e: TokenEvent) => number) => (w.reduce((s, e) => s + f(e), 0) / w.length).toFixed(3);
  console.log(`[${a},${z})`.padEnd(12) + mean((e) => e.temperature).padStart(6) + mean((e) => e.entropy).padStart(12));
}
console.log(`\n${events.length} tokens in ${seconds.toFixed(2)} s (${(events.length / seconds).toFixed(0)} tokens/s)`);
