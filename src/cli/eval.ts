/**
 * `npm run eval` — every decoding mode on the same held-out prompts and seeds, B = 30
 * continuations × N = 1000 tokens, at several targets: how well each holds marginal entropy per
 * window, what it does to repetition and cross-sample similarity, and what its controller costs.
 * Writes docs/eval/results.json, docs/eval/README.md and repetition.svg (both rendered from the
 * JSON by src/fit/eval-report.ts) and one SVG per target. Node only (onnxruntime-node).
 *
 *   npm run eval -- [--model models/kjv-gpt2-4m] [--targets 3.5,5,6.5] [--full 2] [--short 8]
 *   npm run eval -- --render-only     (README.md again from results.json, after a change of prose)
 *
 * The modes are built by the same planControl() the API uses, from the schedules and the
 * calibration on disk, so what is evaluated is what a request gets.
 */
import { execSync } from "node:child_process";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { Catalog } from "../control/catalog.js";
import { DEFAULT_GAIN } from "../control/controller.js";
import { parseSchedule } from "../control/schedule-schema.js";
import { planControl, type EntropyParams } from "../decode/plan.js";
import { bootstrapVariance, resampleRows } from "../fit/bootstrap.js";
import { modeColor, renderEvalReport, renderRepetitionSvg, type ArmResult, type EvalResults } from "../fit/eval-report.js";
import { createGroupedSampler } from "../fit/grouped.js";
import { heldoutMetrics } from "../fit/heldout.js";
import { WINDOWS, addToProfileInPlace, createProfile, profileMean, windowLabel, windowMean, type Profile } from "../fit/metrics.js";
import { renderSvg, type Series } from "../fit/plot.js";
import { parsePrompts } from "../fit/prompts.js";
import { distinctN, repeatedNRate, selfBleu } from "../fit/text-metrics.js";
import { loadNodeModel } from "../model/backend-node.js";
import { createChain } from "../sampling/chain.js";
import { marginalEntropy, meanConditionalEntropy } from "../sampling/marginal.js";
import { createRng } from "../sampling/rng.js";
import type { Sampler } from "../sampling/sampler.js";
import type { Step } from "../sampling/step.js";
import { loadCatalogFromDisk } from "./catalog-disk.js";
import { createProgress } from "./fit-progress.js";
import { createRunner, makePlan, planWork, type Episode } from "./fit-runner.js";
import { intArg as int, listArg as list } from "./args.js";
import { rerunWithMallocSettings } from "./malloc-env.js";

rerunWithMallocSettings();

const { values: args } = parseArgs({
  options: {
    model: { type: "string", default: "models/kjv-gpt2-4m" },
    schedules: { type: "string", default: "schedules" },
    prompts: { type: "string", default: "schedules/prompts.txt" },
    targets: { type: "string", default: "3.5,5,6.5" },
    tokens: { type: "string", default: "1000" },
    full: { type: "string", default: "2" },
    short: { type: "string", default: "8" },
    "short-tokens": { type: "string", default: "50" },
    seed: { type: "string", default: "7" },
    "mirostat-taus": { type: "string", default: "0.5,1,2,3,4.5,8" },
    "mirostat-tokens": { type: "string", default: "200" },
    sessions: { type: "string", default: "2" },
    out: { type: "string", default: "docs/eval" },
    /** Re-render README.md from the results.json already in --out; runs nothing. */
    "render-only": { type: "boolean", default: false },
  },
});

if (args["render-only"]) {
  const results = JSON.parse(await readFile(join(args.out, "results.json"), "utf8")) as EvalResults;
  await writeFile(join(args.out, "README.md"), renderEvalReport(results));
  await writeFile(join(args.out, "repetition.svg"), renderRepetitionSvg(results));
  process.exit(0);
}


/** Rows every mode is measured over; marginal requests of n = 4 and 8 run as 32 rows and are measured over the first 30. */
const ROWS = 30;
const MARGINAL_ROWS = 32;
const MARGINAL_N = [4, 8];

const started = performance.now();
const tokens = int("tokens", args.tokens);
const full = int("full", args.full);
const short = int("short", args.short, 0);
const shortTokens = int("short-tokens", args["short-tokens"]);
const seed = int("seed", args.seed, 0);
const targets = list("targets", args.targets);
const taus = list("mirostat-taus", args["mirostat-taus"]).sort((a, b) => a - b);
const tuningTokens = int("mirostat-tokens", args["mirostat-tokens"]);

const models = await Promise.all(Array.from({ length: int("sessions", args.sessions) }, () => loadNodeModel(args.model, 1)));
const model = models[0]!;
const V = model.spec.vocabSize;
const catalog: Catalog = await loadCatalogFromDisk(args.schedules, model.id);
if (!catalog.schedules) throw new RangeError(`no fitted schedules for model ${model.id} under ${args.schedules}/ (run npm run fit)`);
if (!catalog.calibration) throw new RangeError(`no proxy calibration for model ${model.id} under ${args.schedules}/ (run npm run fit)`);
const prompts = parsePrompts(await readFile(args.prompts, "utf8"));
const encode = (p: string): number[] => model.tokenizer.encode(p);
const heldout = prompts.heldout.map(encode);
const fitting = prompts.fit.map(encode);
const progress = createProgress(process.stderr, ROWS * tokens);
const sessions = models.map((m) => m.lm);
const log = (line: string): void => void process.stderr.write(`${line}\n`);
const plan = makePlan(heldout, seed, { full, mid: 0, short, tokens, midTokens: tokens, shortTokens });
log(`eval: ${model.name} (${model.id}), targets ${targets.join(", ")}, ${full} × ${tokens} + ${short} × ${shortTokens} tokens per mode, B = ${ROWS}`);

/** The baseline temperature stored with each fitted schedule: fixed T matching the target on average. */
const scheduleFiles = await Promise.all(
  (await readdir(join(args.schedules, model.id))).filter((n) => /^target-.*\.json$/.test(n)).map(async (n) => parseSchedule(JSON.parse(await readFile(join(args.schedules, model.id, n), "utf8")))),
);
function matchedTemperature(target: number): number {
  const file = scheduleFiles.find((f) => f.target === target);
  if (!file?.baseline) throw new RangeError(`no fitted schedule with a baseline at target ${target}; fitted: ${scheduleFiles.map((f) => f.target).join(", ")}`);
  return file.baseline.temperature;
}

/** The controller (and the samplers its mode adds) the API would run for these settings, for `rows` rows. */
function apiSampler(params: EntropyParams, rows: number, temperature = 1): { sampler: Sampler; notice?: string } {
  const p = planControl(params, { temperature, rows, vocabSize: V, catalog });
  const notice = p.mode !== p.requestedMode ? `ran ${p.mode}: ${p.notice?.reason}` : undefined;
  return { sampler: createChain([p.controller, ...p.samplers]), ...(notice ? { notice } : {}) };
}

/** Wraps a sampler to add the time spent in its apply and accept to `clock.ms`. */
function timed(sampler: Sampler, clock: { ms: number }): Sampler {
  return {
    name: sampler.name,
    apply(step) {
      const t0 = performance.now();
      sampler.apply(step);
      clock.ms += performance.now() - t0;
    },
    accept(tokensDrawn, step) {
      const t0 = performance.now();
      sampler.accept?.(tokensDrawn, step);
      clock.ms += performance.now() - t0;
    },
    reset: () => sampler.reset?.(),
  };
}

interface ArmSpec {
  target: number;
  mode: string;
  label: string;
  setting: string;
  rows: number;
  make: () => Sampler;
  note?: string;
}

/** What one episode recorded over the measured rows. */
interface EpisodeRecord {
  marginal: Float64Array;
  conditional: Float64Array;
  temperature: Float64Array;
  variance: Float64Array;
  /** Generated ids per measured row. */
  ids: Int32Array[];
}

const counts = resampleRows(ROWS, 16, createRng(seed));
const scratch = new Float64Array(V);

/** Observer recording an episode over the first ROWS rows. */
function recorder(record: EpisodeRecord): (step: Step) => void {
  return (step) => {
    const t = step.position;
    const probs = step.probs.subarray(0, ROWS * V);
    record.marginal[t] = marginalEntropy(probs, ROWS, V);
    record.conditional[t] = meanConditionalEntropy(probs, ROWS, V);
    let sum = 0;
    for (let b = 0; b < ROWS; b++) {
      sum += step.temperature[b]!;
      record.ids[b]![t] = step.tokens[b]!;
    }
    record.temperature[t] = sum / ROWS;
    // Every early position, every 5th later: the floor is an average over positions.
    if (t < 50 || t % 5 === 0) record.variance[t] = bootstrapVariance(probs, ROWS, V, counts, scratch);
  };
}

/** Runs every arm over the plan, the arms of one row count in one batch; returns records per arm. */
async function runArms(arms: readonly ArmSpec[], episodes: readonly Episode[], label: string): Promise<{ records: EpisodeRecord[][]; micros: number[] }> {
  const records: EpisodeRecord[][] = arms.map(() => []);
  const clocks = arms.map(() => ({ ms: 0 }));
  const rowTokens = arms.map(() => 0);
  for (const rows of [...new Set(arms.map((a) => a.rows))]) {
    const mine = arms.flatMap((a, i) => (a.rows === rows ? [i] : []));
    const batch = mine.flatMap((i) => episodes.map((e) => ({ arm: i, episode: e })));
    progress.begin(`${label} (${rows} rows)`, planWork(batch.map((b) => b.episode)), batch.reduce((s, b) => s + b.episode.tokens, 0) / tokens);
    await createRunner(sessions, rows, progress).run(
      batch.map((b) => b.episode),
      (k) => timed(arms[batch[k]!.arm]!.make(), clocks[batch[k]!.arm]!),
      (k) => {
        const { arm, episode } = batch[k]!;
        const n = episode.tokens;
        const record: EpisodeRecord = {
          marginal: new Float64Array(n),
          conditional: new Float64Array(n),
          temperature: new Float64Array(n),
          variance: new Float64Array(n).fill(Number.NaN),
          ids: Array.from({ length: ROWS }, () => new Int32Array(n)),
        };
        records[arm]!.push(record);
        rowTokens[arm] = rowTokens[arm]! + n * rows;
        return recorder(record);
      },
    );
    progress.end();
  }
  return { records, micros: clocks.map((c, i) => (1000 * c.ms) / rowTokens[i]!) };
}

const round = (v: number, digits = 4): number => Number(v.toFixed(digits));
const roundRecord = (r: Record<string, number>): Record<string, number> => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, round(v)]));
const perWindow = (f: (from: number, to: number) => number): Record<string, number> =>
  Object.fromEntries(WINDOWS.filter((w) => w[0] < tokens).map((w) => [windowLabel(w), f(w[0], Math.min(w[1], tokens))]));
const profileOf = (records: readonly EpisodeRecord[], of: (r: EpisodeRecord) => ArrayLike<number>): Profile => {
  const p = createProfile(tokens);
  for (const r of records) addToProfileInPlace(p, of(r));
  return p;
};

function summarize(spec: ArmSpec, records: readonly EpisodeRecord[], micros: number): { result: ArmResult; marginal: Float64Array; temperature: Float64Array } {
  const m = heldoutMetrics(records.map((r) => ({ marginal: r.marginal, bootstrapVariance: r.variance })), spec.target, tokens);
  const conditional = profileOf(records, (r) => r.conditional);
  const temperature = profileOf(records, (r) => r.temperature);
  const long = records.filter((r) => r.marginal.length === tokens);
  const rowsOfLong = long.flatMap((r) => r.ids);
  const result: ArmResult = {
    mode: spec.mode,
    label: spec.label,
    setting: spec.setting,
    rows: spec.rows,
    rmse0To300: round(m.rmse0To300),
    rmse0To1000: round(m.rmse0To1000),
    noiseFloor0To300: round(m.noiseFloor0To300),
    noiseFloor0To1000: round(m.noiseFloor0To1000),
    windowBias: roundRecord(m.windowBias),
    windowSe: roundRecord(m.windowStandardError),
    conditional: roundRecord(perWindow((a, b) => windowMean(conditional, a, b))),
    temperature: roundRecord(perWindow((a, b) => windowMean(temperature, a, b))),
    distinct2: roundRecord(perWindow((a, b) => distinctN(rowsOfLong, 2, a, b))),
    distinct3: roundRecord(perWindow((a, b) => distinctN(rowsOfLong, 3, a, b))),
    repeated4: roundRecord(perWindow((a, b) => repeatedNRate(rowsOfLong, 4, a, b))),
    selfBleu: round(long.reduce((s, r) => s + selfBleu(r.ids), 0) / long.length),
    controllerMicros: round(micros, 2),
    ...(spec.note ? { note: spec.note } : {}),
  };
  return { result, marginal: m.mean, temperature: profileMean(temperature) };
}

// ---- Mirostat τ: matched to each target's mean marginal entropy on the fitting prompts ------
const tuningPlan = makePlan(fitting, seed + 5_000, { full: 2, mid: 0, short: 0, tokens: tuningTokens, midTokens: tuningTokens, shortTokens: tuningTokens });
const tuningArms: ArmSpec[] = taus.map((tau) => ({
  target: 0,
  mode: "mirostat",
  label: `τ ${tau}`,
  setting: "",
  rows: ROWS,
  make: () => apiSampler({ mode: "mirostat", tau }, ROWS).sampler,
}));
const tuning = await runArms(tuningArms, tuningPlan, "mirostat τ grid");
const grid = taus.map((tau, i) => {
  const recs = tuning.records[i]!;
  const mean = recs.reduce((s, r) => s + r.marginal.reduce((a, b) => a + b, 0) / r.marginal.length, 0) / recs.length;
  return { tau, mean: round(mean, 3) };
});
log(`mirostat: ${grid.map((g) => `τ ${g.tau} → ${g.mean}`).join(", ")}`);

/** τ whose grid mean matches the target (linear between grid points); clamped to the grid's ends. */
function matchTau(target: number): { tau: number; note?: string } {
  for (let i = 0; i + 1 < grid.length; i++) {
    const [a, b] = [grid[i]!, grid[i + 1]!];
    if ((a.mean - target) * (b.mean - target) <= 0 && a.mean !== b.mean) return { tau: round(a.tau + ((target - a.mean) / (b.mean - a.mean)) * (b.tau - a.tau), 3) };
  }
  const closest = grid.reduce((x, y) => (Math.abs(y.mean - target) < Math.abs(x.mean - target) ? y : x));
  const why =
    target > closest.mean
      ? "Mirostat only truncates the T = 1 distribution, so its entropy cannot exceed the model's own"
      : "extend --mirostat-taus downwards";
  return { tau: closest.tau, note: `no τ on the grid reaches the target (grid means ${grid[0]!.mean}–${grid.at(-1)!.mean} nats; ${why}); ran τ = ${closest.tau}` };
}

// ---- Arms ---------------------------------------------------------------------------------
const gain = catalog.calibration.gain;
const arms: ArmSpec[] = targets.flatMap((target) => {
  const T = matchedTemperature(target);
  const { tau, note } = matchTau(target);
  const api = (params: EntropyParams, rows = ROWS, temperature = 1) => () => apiSampler(params, rows, temperature).sampler;
  const proxyNotice = apiSampler({ mode: "proxy", target }, 1).notice;
  return [
    { target, mode: "fixed", label: `fixed T=${T.toFixed(2)}`, setting: `T ${T.toFixed(3)}`, rows: ROWS, make: api({ mode: "fixed" }, ROWS, T) },
    { target, mode: "schedule", label: "schedule", setting: "fitted knots", rows: ROWS, make: api({ mode: "schedule", target }) },
    {
      target,
      mode: "proxy",
      label: "proxy",
      setting: `${catalog.calibration!.statistic}, gain ${gain}`,
      rows: ROWS,
      // 30 independent n = 1 requests: the proxy controller is per row, and rows never share state.
      make: api({ mode: "proxy", target }),
      ...(proxyNotice ? { note: proxyNotice } : {}),
    },
    ...MARGINAL_N.map((n) => ({
      target,
      mode: "marginal",
      label: `marginal n=${n}`,
      setting: `${MARGINAL_ROWS / n} × n ${n}, gain ${DEFAULT_GAIN}`,
      rows: MARGINAL_ROWS,
      make: () => createGroupedSampler(MARGINAL_ROWS, n, () => apiSampler({ mode: "marginal", target }, n).sampler),
    })),
    { target, mode: "exact", label: "exact", setting: `conditional target, gain ${DEFAULT_GAIN}`, rows: ROWS, make: api({ mode: "exact", target }) },
    { target, mode: "mirostat", label: `mirostat τ=${tau}`, setting: `τ ${tau} nats, η 0.1`, rows: ROWS, make: api({ mode: "mirostat", tau }), ...(note ? { note } : {}) },
  ];
});
const run = await runArms(arms, plan, "modes × targets");

// ---- Results ------------------------------------------------------------------------------
const summaries = arms.map((spec, i) => ({ spec, ...summarize(spec, run.records[i]!, run.micros[i]!) }));
const commit = (() => {
  try {
    const sha = execSync("git rev-parse --short HEAD", { encoding: "utf8" }).trim();
    const dirty = execSync("git status --porcelain --untracked-files=no", { encoding: "utf8" }).trim() !== "";
    return dirty ? `${sha} (with uncommitted changes)` : sha;
  } catch {
    return "unknown";
  }
})();
const ortVersion = (JSON.parse(await readFile("node_modules/onnxruntime-node/package.json", "utf8")) as { version: string }).version;
const results: EvalResults = {
  version: 1,
  command: `npm run eval -- ${process.argv.slice(2).join(" ")}`.trim().replace(/ --$/, ""),
  commit,
  date: new Date().toISOString().slice(0, 10),
  machine: `${cpus()[0]?.model ?? "unknown CPU"}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, onnxruntime-node ${ortVersion} (${sessions.length} sessions, 1 thread each)`,
  seconds: round((performance.now() - started) / 1000, 0),
  model: { name: model.name, id: model.id },
  plan: { measuredRows: ROWS, marginalRows: MARGINAL_ROWS, tokens, full, short, shortTokens, prompts: new Set(plan.map((e) => e.promptIds)).size, seed },
  mirostat: { tuningTokens, tuningEpisodes: tuningPlan.length, grid },
  targets: targets.map((target) => ({ target, arms: summaries.filter((s) => s.spec.target === target).map((s) => s.result) })),
};
await mkdir(args.out, { recursive: true });
await writeFile(join(args.out, "results.json"), `${JSON.stringify(results, null, 2)}\n`);
const report = renderEvalReport(results);
await writeFile(join(args.out, "README.md"), report);

const positions = Array.from({ length: tokens }, (_, t) => t);
const ticks = [0, 10, 50, 300, tokens];
for (const target of targets) {
  const mine = summaries.filter((s) => s.spec.target === target);
  const line = (of: (s: (typeof mine)[number]) => ArrayLike<number>) => mine.map((s): Series => ({ x: positions, y: of(s), label: s.spec.label, color: modeColor(s.spec.label) }));
  await writeFile(
    join(args.out, `target-${target}.svg`),
    renderSvg([
      {
        title: `Marginal entropy over ${ROWS} rows, held-out prompts (target ${target} nats)`,
        xLabel: "position t (log scale)",
        yLabel: "H(p̄_t), nats",
        xScale: "log1p",
        xTicks: ticks,
        series: [...line((s) => s.marginal), { x: [0, tokens - 1], y: [target, target], label: "target", color: "#d62728", dash: true }],
      },
      { title: "Mean temperature", xLabel: "position t (log scale)", yLabel: "T", xScale: "log1p", xTicks: ticks, series: line((s) => s.temperature) },
    ]),
  );
}
await writeFile(join(args.out, "repetition.svg"), renderRepetitionSvg(results));
process.stdout.write(report);
log(`eval: wrote ${join(args.out, "README.md")}, results.json and ${targets.length + 1} plots in ${results.seconds} s`);
