/**
 * What `npm run eval` does, given its checked options and its I/O (Node only): tune Mirostat's τ
 * to each target on the fitting prompts, run every arm (eval-arms.ts) over the same held-out
 * prompts and seeds, and write results.json, README.md and repetition.svg (both rendered from
 * the JSON by src/fit/eval-report.ts) and one SVG per target.
 */
import { execSync } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { cpus, totalmem } from "node:os";
import { dirname, join, relative } from "node:path";
import type { Catalog } from "../control/catalog.js";
import { resampleRows } from "../fit/bootstrap.js";
import { type EvalResults, modeColor, renderEvalReport, renderRepetitionSvg, withAnswersQuoted } from "../fit/eval-report.js";
import { renderSvg, type Series } from "../fit/plot.js";
import { parsePrompts } from "../fit/prompts.js";
import type { CausalLM } from "../model/causal-lm.js";
import type { Model } from "../model/model.js";
import { createRng } from "../sampling/rng.js";
import type { Sampler } from "../sampling/sampler.js";
import type { Step } from "../sampling/step.js";
import { type ArmSpec, buildArms, MARGINAL_ROWS, ROWS, runsMode, type TauPoint, tauGridArms } from "./eval-arms.js";
import { type Checkpoint, openCheckpoint, PARTIAL_DIR } from "./eval-checkpoint.js";
import type { EvalOptions } from "./eval-options.js";
import { createRecord, type EpisodeRecord, recorder, resultsByTarget, summarizeArm } from "./eval-results.js";
import { createProgress, type Progress, type ProgressStream } from "./fit-progress.js";
import { createRunner, type Episode, makePlan, planWork } from "./fit-runner.js";
import { readScheduleDir } from "./schedule-files.js";
import { fitsIdOf } from "./variant-fits.js";

export interface EvalIo {
  /** One model session with one intra-op thread; called once per session. */
  loadModel(dir: string): Promise<Model>;
  loadCatalog(root: string, modelId: string): Promise<Catalog>;
  /** The commit and the machine, recorded in results.json. */
  describeRun(sessions: number): Promise<{ commit: string; machine: string }>;
  /** The files under EPISODE_PATHS changed from `commit` to the working tree; undefined when git cannot tell. */
  codeChangedSince(commit: string): Promise<string[] | undefined>;
  /** The rendered report. */
  stdout(text: string): void;
  /** Progress bars and log lines. */
  readonly stderr: ProgressStream;
  /** The project README whose quote of this report's answers is re-rendered; default ./README.md. */
  readonly readme?: string;
}

/** The git commit of the working tree and this machine, as results.json records them. */
export async function describeRun(sessions: number): Promise<{ commit: string; machine: string }> {
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
  const machine = `${cpus()[0]?.model ?? "unknown CPU"}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, onnxruntime-node ${ortVersion} (${sessions} sessions, 1 thread each)`;
  return { commit, machine };
}

/** What decides an episode's numbers: the code, the model files, the fits and the dependencies (prose excepted). */
export const EPISODE_PATHS = ["src", "models", "schedules", "package.json", "package-lock.json"] as const;

/** Tracked or new files under EPISODE_PATHS that differ between `commit` and the working tree; undefined when git cannot tell (no repository, an unknown commit). */
export async function codeChangedSince(commit: string): Promise<string[] | undefined> {
  const spec = [...EPISODE_PATHS, ":(exclude)*.md"].map((p) => `'${p}'`).join(" ");
  try {
    const changed = execSync(`git diff --name-only ${commit} -- ${spec}`, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    const added = execSync(`git ls-files --others --exclude-standard -- ${spec}`, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    return `${changed}\n${added}`.split("\n").filter((l) => l !== "");
  } catch {
    return undefined;
  }
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

/** README.md and repetition.svg again from the results.json in `out`, and the project README's quote of its answers. */
export async function renderOnly(out: string, readme = PROJECT_README): Promise<void> {
  const results = JSON.parse(await readFile(join(out, "results.json"), "utf8")) as EvalResults;
  await writeFile(join(out, "README.md"), renderEvalReport(results));
  await writeFile(join(out, "repetition.svg"), renderRepetitionSvg(results));
  await quoteAnswers(out, results, readme);
}

/** The README the eval keeps its quotes in, as run from the repository. */
const PROJECT_README = "README.md";

/**
 * Re-render the answers `readme` quotes from the report in `out` (named by its path from the
 * README's folder); nothing when it quotes none from there, or does not exist.
 */
async function quoteAnswers(out: string, results: EvalResults, readme: string): Promise<void> {
  const text = await readFile(readme, "utf8").catch(() => undefined);
  if (text === undefined) return;
  const quoted = withAnswersQuoted(text, relative(dirname(readme), out), results);
  if (quoted !== text) await writeFile(readme, quoted);
}

/** Run the evaluation `o` asks for and return what it wrote to results.json. */
export async function runEval(o: EvalOptions, io: EvalIo): Promise<EvalResults | undefined> {
  if (o.renderOnly) {
    await renderOnly(o.out, io.readme);
    return undefined;
  }
  const log = (line: string): void => void io.stderr.write(`${line}\n`);
  const { tokens, full, short, shortTokens, seed, targets } = o;
  // The commit is the code that runs, read before it runs: an hour later HEAD and the tree may
  // hold what was committed meanwhile, which this run never loaded.
  const { commit, machine } = await io.describeRun(o.sessions);

  const models = await Promise.all(Array.from({ length: o.sessions }, () => io.loadModel(o.model)));
  const model = models[0]!;
  const V = model.spec.vocabSize;
  // A weight variant runs on its export's fits where variants.json allows (as the server does).
  const fitsId = await fitsIdOf(o.model, model);
  const catalog = await io.loadCatalog(o.schedules, fitsId);
  if (!catalog.schedules) throw new Error(`no fitted schedules for model ${fitsId} under ${o.schedules}/ (run npm run fit)`);
  if (!catalog.calibration) throw new Error(`no proxy calibration for model ${fitsId} under ${o.schedules}/ (run npm run fit)`);
  const scheduleFiles = (await readScheduleDir(join(o.schedules, fitsId))).map((s) => s.file);
  const prompts = parsePrompts(await readFile(o.prompts, "utf8"));
  const encode = (p: string): number[] => model.tokenizer.encode(p);
  const heldout = prompts.heldout.map(encode);
  const fitting = prompts.fit.map(encode);
  const progress = createProgress(io.stderr, ROWS * tokens);
  const sessions = models.map((m) => m.lm);
  const plan = makePlan(heldout, seed, { full, mid: 0, short, tokens, midTokens: tokens, shortTokens });
  // Opened once every input has been read and checked, so that a mistyped path leaves nothing behind.
  const checkpoint = await openCheckpoint(o, commit, io.codeChangedSince);
  if (o.resume) log(`eval: resuming the run stopped in ${join(o.out, PARTIAL_DIR)}/ (${checkpoint.resumed} episodes saved, ${Math.round(checkpoint.seconds())} s spent)`);
  log(`eval: ${model.name} (${model.id}), targets ${targets.join(", ")}, ${full} × ${tokens} + ${short} × ${shortTokens} tokens per mode, B = ${ROWS}`);

  const counts = resampleRows(ROWS, 16, createRng(seed));
  const scratch = new Float64Array(V);
  const runArms = (arms: readonly ArmSpec[], episodes: readonly Episode[], label: string, saves?: Checkpoint) =>
    runArmsOn(sessions, progress, tokens, arms, episodes, label, (record) => recorder(record, ROWS, counts, scratch), saves);

  // ---- Mirostat τ: matched to each target's mean marginal entropy on the fitting prompts ------
  const tuningPlan = makePlan(fitting, seed + 5_000, { full: 2, mid: 0, short: 0, tokens: o.tuningTokens, midTokens: o.tuningTokens, shortTokens: o.tuningTokens });
  // Only when Mirostat runs: the grid costs a few minutes and matches nothing else.
  let grid: TauPoint[] = checkpoint.grid ?? [];
  if (runsMode(o.modes, "mirostat") && !checkpoint.grid) {
    const tuning = await runArms(tauGridArms(catalog, V, o.taus), tuningPlan, "mirostat τ grid");
    grid = o.taus.map((tau, i) => {
      const recs = tuning.records[i]!;
      const mean = recs.reduce((s, r) => s + r.marginal.reduce((a, b) => a + b, 0) / r.marginal.length, 0) / recs.length;
      return { tau, mean: Number(mean.toFixed(3)) };
    });
    await checkpoint.saveGrid(grid);
  }
  if (grid.length) log(`mirostat: ${grid.map((g) => `τ ${g.tau} → ${g.mean}`).join(", ")}`);

  // ---- Arms ---------------------------------------------------------------------------------
  const arms = buildArms(targets, { catalog, vocabSize: V, schedules: scheduleFiles, grid, modes: o.modes });
  await checkpoint.checkArms(arms.map((a) => `${a.label} @ ${a.target}`));
  const run = await runArms(arms, plan, "modes × targets", checkpoint);

  // ---- Results ------------------------------------------------------------------------------
  const summaries = arms.map((spec, i) => ({ spec, ...summarizeArm(spec, run.records[i]!, run.micros[i]!, tokens, heldout.length) }));
  const results: EvalResults = {
    version: 1,
    command: checkpoint.command,
    commit: checkpoint.commit,
    date: new Date().toISOString().slice(0, 10),
    machine,
    seconds: Math.round(checkpoint.seconds()),
    model: { name: model.name, id: model.id, dtype: model.dtype, fitted_on: fitsId },
    plan: { measuredRows: ROWS, marginalRows: MARGINAL_ROWS, tokens, full, short, shortTokens, prompts: new Set(plan.map((e) => e.promptIds)).size, seed },
    mirostat: { tuningTokens: o.tuningTokens, tuningEpisodes: tuningPlan.length, grid },
    targets: resultsByTarget(targets, summaries),
    heldout: prompts.heldout,
  };
  await mkdir(o.out, { recursive: true });
  await writeFile(join(o.out, "results.json"), `${JSON.stringify(results, null, 2)}\n`);
  const report = renderEvalReport(results);
  await writeFile(join(o.out, "README.md"), report);

  const positions = Array.from({ length: tokens }, (_, t) => t);
  const ticks = [0, 10, 50, 300, tokens];
  for (const target of targets) {
    const mine = summaries.filter((s) => s.spec.target === target);
    const line = (of: (s: (typeof mine)[number]) => ArrayLike<number>) => mine.map((s): Series => ({ x: positions, y: of(s), label: s.spec.label, color: modeColor(s.spec.label) }));
    await writeFile(
      join(o.out, `target-${target}.svg`),
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
  await writeFile(join(o.out, "repetition.svg"), renderRepetitionSvg(results));
  await quoteAnswers(o.out, results, io.readme ?? PROJECT_README);
  io.stdout(report);
  await checkpoint.remove();
  log(`eval: wrote ${join(o.out, "README.md")}, results.json and ${targets.length + 1} plots in ${results.seconds} s`);
  return results;
}

/**
 * Runs every arm over the plan, the arms of one row count in one batch; returns records per arm
 * (in plan order) and controller µs per row-token. With `saves`, each episode is saved as it
 * ends and one the stopped run saved is loaded instead of run again.
 */
async function runArmsOn(
  sessions: readonly CausalLM[],
  progress: Progress,
  tokens: number,
  arms: readonly ArmSpec[],
  episodes: readonly Episode[],
  label: string,
  observe: (record: EpisodeRecord) => (step: Step) => void,
  saves?: Checkpoint,
): Promise<{ records: EpisodeRecord[][]; micros: number[] }> {
  const records: EpisodeRecord[][] = arms.map(() => new Array<EpisodeRecord>(episodes.length));
  const ms = arms.map(() => 0);
  const rowTokens = arms.map((a) => a.rows * episodes.reduce((s, e) => s + e.tokens, 0));
  for (const rows of [...new Set(arms.map((a) => a.rows))]) {
    const batch: { arm: number; index: number; episode: Episode; clock: { ms: number }; record?: EpisodeRecord }[] = [];
    for (const [arm, spec] of arms.entries()) {
      if (spec.rows !== rows) continue;
      for (const [index, episode] of episodes.entries()) {
        const saved = await saves?.load(arm, index);
        if (saved) {
          records[arm]![index] = saved.record;
          ms[arm] = ms[arm]! + saved.ms;
        } else batch.push({ arm, index, episode, clock: { ms: 0 } });
      }
    }
    if (batch.length === 0) continue;
    progress.begin(`${label} (${rows} rows)`, planWork(batch.map((b) => b.episode)), batch.reduce((s, b) => s + b.episode.tokens, 0) / tokens);
    await createRunner(sessions, rows, progress).run(
      batch.map((b) => b.episode),
      (k) => {
        const { sampler, probes } = arms[batch[k]!.arm]!.make();
        return { sampler: timed(sampler, batch[k]!.clock), probes };
      },
      (k) => {
        const b = batch[k]!;
        b.record = createRecord(b.episode.tokens, ROWS);
        records[b.arm]![b.index] = b.record;
        return observe(b.record);
      },
      async (k) => {
        const b = batch[k]!;
        ms[b.arm] = ms[b.arm]! + b.clock.ms;
        await saves?.save(b.arm, b.index, b.record!, b.clock.ms);
      },
    );
    progress.end();
  }
  // A hole would drop out of every summary unnoticed (array methods skip holes).
  if (records.some((r) => r.filter(Boolean).length < episodes.length)) throw new Error(`${label}: an episode has no record`);
  return { records, micros: ms.map((m, i) => (1000 * m) / rowTokens[i]!) };
}
