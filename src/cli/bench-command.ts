/**
 * `npm run bench`'s options and what it does: ratios measured in one run, interleaved to cancel
 * machine drift (see bench.ts), printed as tables and written to docs/bench.md.
 */
import { readFile, writeFile } from "node:fs/promises";
import { loadavg } from "node:os";
import ort from "onnxruntime-node";
import { unstable_readConfig } from "wrangler";
import type { Catalog } from "../control/catalog.js";
import { loadNodeModel, nodeSessionOptions, readModelDir } from "../model/backend-node.js";
import { loadWebModel } from "../model/backend-web.js";
import { createCausalLM } from "../model/causal-lm.js";
import { parseModelDtype } from "../model/dtype.js";
import type { OrtModule } from "../model/ort.js";
import { BANDS, checkBands, failuresOf } from "./bench-bands.js";
import {
  benchBatchScaling,
  benchControllerCost,
  benchLoopOverhead,
  benchProbeCost,
  benchStatistic,
  createRawDecoder,
  MODE_CASES,
  standInCalibration,
  timeGenerate,
  type Workload,
  withoutEos,
} from "./bench-engine.js";
import { describeMachine, machineLines } from "./bench-machine.js";
import type { Fact, Measurement } from "./bench-measurement.js";
import type { BenchValues, Section } from "./bench-options.js";
import { factTable, measurementTables, renderBenchDoc, verdictTable } from "./bench-report.js";
import { benchTransformers } from "./bench-transformers.js";
import { benchVariants } from "./bench-variants.js";
import { benchWorkerd } from "./bench-workerd.js";
import { loadCatalogFromDisk } from "./catalog-disk.js";

/** Run the benchmark as `o` asks; `argv` is what was typed after `npm run bench --`. Returns the exit code: 1 when --check finds a ratio out of its band. */
export async function runBench(o: BenchValues, argv: readonly string[]): Promise<number> {
  const skip = new Set<Section>(o.skip);
  const runs = (s: Section) => !skip.has(s);
  const rounds = o.rounds ?? (o.quick ? 3 : 20);
  const tokens = o.tokens;
  const out = o.out ?? (o.quick ? undefined : "docs/bench.md");
  const command = ["npm run bench", ...(argv.length > 0 ? ["--", ...argv] : [])].join(" ");

  const machine = describeMachine();
  const log = (line: string) => console.error(`[bench ${((performance.now() / 1000) | 0).toString().padStart(4)} s] ${line}`);
  console.log(machineLines(machine, machine.loadAtStart).join("\n"));

  const files = await readModelDir(o.model);
  const nodeModel = withoutEos(await loadNodeModel(o.model));
  const notes: string[] = [];
  const disk = await loadCatalogFromDisk("schedules", nodeModel.id);
  let catalog: Catalog = disk;
  if (!disk.calibration) {
    catalog = { ...disk, calibration: standInCalibration(nodeModel.id, nodeModel.spec.vocabSize) };
    notes.push(
      `No proxy calibration is fitted for ${nodeModel.name} (${nodeModel.id}): \`proxy\` runs a 16-knot stand-in table, which costs what a fitted one does (one pass over the logits, one table lookup).`,
    );
  }
  const promptIds = nodeModel.tokenizer.encode(o.prompt);
  const w: Workload = { promptIds, tokens, rounds, seed: o.seed };
  const nodeOrt = ort as unknown as OrtModule;
  // A session of its own, so the baseline shares no run state with the engine's.
  const raw = createRawDecoder(createCausalLM(nodeOrt, await nodeOrt.InferenceSession.create(files.onnx, nodeSessionOptions()), nodeModel.spec));

  // Warm both sides once (JIT, allocator, ORT's first-run planning) before anything is timed.
  for (const mode of MODE_CASES) await timeGenerate(nodeModel, catalog, mode, w);
  await raw(promptIds, 4, tokens);

  const measurements: Measurement[] = [];
  const facts: Fact[] = [];
  if (runs("loop")) {
    log("decode loop vs raw ORT, per mode");
    measurements.push(...(await benchLoopOverhead(nodeModel, catalog, raw, w)));
  }
  if (runs("controller")) {
    log("controller cost vs one model step");
    measurements.push(...(await benchControllerCost(nodeModel, catalog, w)));
  }
  if (runs("probe")) {
    log("the prompt's probe vs none");
    measurements.push(...(await benchProbeCost(nodeModel, catalog, w)));
  }
  if (runs("statistic")) {
    log("proxy statistic vs exact entropy, synthetic vocabularies");
    measurements.push(...(await benchStatistic(w, o.quick ? 1e6 : 4e6)));
  }
  if (runs("transformers")) {
    log("isentropic vs transformers.js generate()");
    const t = await benchTransformers(nodeModel, catalog, o.model, { ...w, rounds: Math.max(3, Math.ceil(rounds * 0.7)) });
    if (t.measurement) measurements.push(t.measurement);
    notes.push(t.note);
  }
  if (runs("batch")) {
    log("batch scaling");
    measurements.push(...(await benchBatchScaling(nodeModel, catalog, { ...w, rounds: Math.max(3, Math.ceil(rounds / 2)) })));
  }
  const wasm = new Uint8Array(await readFile("node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.wasm"));
  if (runs("variant")) {
    log("q8 vs fp32, on each runtime");
    measurements.push(...(await benchVariants(o.model, catalog, wasm, { ...w, rounds: Math.max(3, Math.ceil(rounds / 2)) })));
  }
  if (runs("workerd")) {
    log("the Worker in workerd vs the engine in Node");
    // The same runtime in Node runs the variant the Worker serves (wrangler.toml's MODEL_DTYPE).
    const workerDtype = parseModelDtype((unstable_readConfig({ config: "wrangler.toml" }).vars as Record<string, string>)["MODEL_DTYPE"], "fp32");
    const wasmModel = withoutEos(await loadWebModel(await readModelDir(o.model, workerDtype), { bytes: wasm }));
    notes.push(`The Worker in workerd, and the onnxruntime-web arm beside it, run MODEL_DTYPE ${workerDtype} (content id ${wasmModel.id}); the onnxruntime-node arm runs fp32.`);
    const r = await benchWorkerd(nodeModel, { model: wasmModel, bytes: wasm }, catalog, o.prompt, { ...w, rounds: Math.max(3, Math.ceil(rounds / 2)) });
    measurements.push(...r.measurements);
    facts.push(...r.facts);
    notes.push(...r.notes);
  }

  const loadAtEnd = loadavg()[0]!;
  // Judged by the load before the bench started: by its end the bench's own workerd and Node
  // processes are in the 1-minute average.
  const busy =
    machine.loadAtStart > machine.cores * 0.5
      ? `The machine was busy (load average ${machine.loadAtStart.toFixed(2)} → ${loadAtEnd.toFixed(2)} on ${machine.cores} cores): interleaving cancels slow drift, but absolute numbers are contaminated and ratios are noisier than on a quiet machine.`
      : undefined;
  const ratios = Object.fromEntries(measurements.map((m) => [m.key, m.ratio.median]));
  // A band belongs to the section its key starts with; skipped sections are not judged.
  const verdicts = checkBands(
    ratios,
    BANDS.filter((b) => runs(b.key.split(".")[0] as Section)),
  );
  const skippedNote = skip.size > 0 ? [`Sections skipped: ${[...skip].join(", ")}.`] : [];

  console.log(["", ...measurementTables(measurements, BANDS), ...factTable(facts), ...notes.map((n) => `- ${n}`), "", ...verdictTable(verdicts)].join("\n"));
  if (busy) console.log(busy);
  if (out) {
    const workload = `Prompt "${o.prompt}" (${promptIds.length} tokens), ${tokens} new tokens per row, seed ${w.seed}, model \`${o.model}\` (${nodeModel.name}, content id ${nodeModel.id}, V = ${nodeModel.spec.vocabSize}); every generation runs to its full length (EOS disabled on the Node side). ${rounds} rounds per ratio unless the table says fewer.`;
    const doc = renderBenchDoc({ command, machine: machineLines(machine, loadAtEnd), busy, workload, measurements, facts, notes: [...notes, ...skippedNote], bands: BANDS, verdicts });
    await writeFile(out, doc);
    log(`wrote ${out}`);
  }
  const failures = failuresOf(verdicts);
  if (o.check && failures.length > 0) {
    for (const f of failures) console.error(`bench --check: ${f}`);
    return 1;
  }
  return 0;
}
