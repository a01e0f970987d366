/**
 * What `npm run fit` does, given its checked options and its I/O (Node only).
 *
 * 1. Sweep: rollouts at a grid of fixed temperatures on the fitting prompts (sweep.ts) give
 *    every target its starting curve, its update slope, the matching fixed temperature, and the
 *    calibration's training tokens.
 * 2. Per target: fit (sa.ts or optimize.ts) with common random numbers, compress into knots,
 *    then measure the shipped knots and the matching fixed T on fresh seeds and held-out prompts
 *    (heldout.ts, with the bootstrap noise floor), and write target-<x>.json and .svg.
 * 3. Calibration: fit every statistic's table, score it on the held-out tokens, pick the default
 *    by MAE, derive the marginal − conditional offset and tune the gain with the proxy
 *    controller on short rollouts; write calibration.json and .svg.
 * 4. Regenerate the schedules README from the files on disk.
 *
 * The calibration task fits only the calibration, against the schedules already on disk (their
 * held-out rollouts supply the held-out tokens and the offset; the sweep the training tokens).
 * With `compare` the schedules go into `<out>/<method>/` instead (not loaded by the Worker or the
 * server, only shown side by side in the README) and the calibration is skipped.
 */
import { createHash } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { offsetFromTable } from "../control/calibration.js";
import { createFixedController } from "../control/fixed.js";
import { createProxyController } from "../control/proxy.js";
import { createScheduleController, createScheduleSet } from "../control/schedule.js";
import { type CalibrationFile, type Provenance, parseCalibration, type ScheduleFile, serializeCalibration, serializeSchedule } from "../control/schedule-schema.js";
import { bootstrapVariance, resampleRows } from "../fit/bootstrap.js";
import { addTokenSampleInPlace, chooseStatistic, createTokenSamples, fitCandidates, fitOffset, type TokenSamples } from "../fit/calibrate.js";
import { type MeasuredGaps, measureGaps } from "../fit/gaps.js";
import { type HeldoutMetrics, heldoutMetrics } from "../fit/heldout.js";
import { compressKnots, expandKnots, type Knots } from "../fit/knots.js";
import { addToProfileInPlace, createProfile, holdLastInPlace, type Profile, profileMean, WINDOWS, windowMean } from "../fit/metrics.js";
import { fitOptimize } from "../fit/optimize.js";
import { renderSvg } from "../fit/plot.js";
import { parsePrompts } from "../fit/prompts.js";
import type { RolloutTrace } from "../fit/rollout.js";
import { fitSa } from "../fit/sa.js";
import { smoothInPosition } from "../fit/smooth.js";
import { matchFixedTemperature, startingCurve } from "../fit/sweep.js";
import type { Model } from "../model/model.js";
import { logitStats } from "../sampling/logit-stats.js";
import { createRng } from "../sampling/rng.js";
import type { Sampler } from "../sampling/sampler.js";
import { rowOf, type Step } from "../sampling/step.js";
import { UsageError } from "./args.js";
import type { FitOptions } from "./fit-options.js";
import { createProgress, type ProgressStream } from "./fit-progress.js";
import { writeReadme } from "./fit-readme.js";
import { createRunner, type Episode, makePlan, planTokens, planWork } from "./fit-runner.js";
import { readScheduleDir } from "./schedule-files.js";

export interface FitIo {
  /** One model session with one intra-op thread; called once per session. */
  loadModel(dir: string): Promise<Model>;
  /** Progress bars and log lines. */
  readonly stderr: ProgressStream;
}

const round = (v: number, digits = 4): number => Number(v.toFixed(digits));
const roundRecord = (r: Record<string, number>): Record<string, number> => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, round(v)]));

/** A table rounded to 6 significant digits, dropping any knot whose x then ties the one before. */
function shortTable(x: readonly number[], y: readonly number[]): { x: number[]; entropy: number[] } {
  const out = { x: [] as number[], entropy: [] as number[] };
  x.forEach((v, i) => {
    const r = Number(v.toPrecision(6));
    if (out.x.length > 0 && !(r > out.x[out.x.length - 1]!)) return;
    out.x.push(r);
    out.entropy.push(round(y[i]!, 5));
  });
  return out;
}

/** A sampler that applies `temperatures[t]` at position t (the schedule controller over one knot per position). */
function curveSampler(temperatures: ArrayLike<number>): Sampler {
  const positions = Array.from({ length: temperatures.length }, (_, t) => t);
  return createScheduleController(createScheduleSet([{ target: 0, positions, temperatures: Array.from(temperatures) }]), 0);
}

/** Collects calibration samples from every `every`-th position of an episode. */
function sampleTokens(samples: TokenSamples, every = 5): (step: Step) => void {
  return (step) => {
    if (step.position % every !== 0) return;
    for (let b = 0; b < step.rows; b++) addTokenSampleInPlace(samples, logitStats(rowOf(step.logits, step, b)), step.temperature[b]!, step.entropy[b]!);
  };
}

/** Run the fit `o` asks for; returns the paths written (the README last). */
export async function runFit(o: FitOptions, io: FitIo): Promise<string[]> {
  const log = (line: string): void => void io.stderr.write(`${line}\n`);
  const written: string[] = [];
  const write = async (path: string, text: string): Promise<void> => {
    await writeFile(path, text);
    written.push(path);
  };

  if (o.task === "readme") {
    const { id, name } = await io.loadModel(o.model);
    await writeReadme(o.readme, o.out ?? join("schedules", id), id, name);
    return [o.readme];
  }

  const started = performance.now();
  const { rows, tokens, window, seed, method, iterations, shortTokens } = o;
  const fitShape = { ...o.fitPlan, tokens, midTokens: window, shortTokens };
  const evalShape = { ...o.evalPlan, tokens, midTokens: window, shortTokens };

  const promptBytes = await readFile(o.prompts);
  const prompts = parsePrompts(promptBytes.toString("utf8"));
  const promptsHash = `sha256:${createHash("sha256").update(promptBytes).digest("hex").slice(0, 16)}`;
  const models = await Promise.all(Array.from({ length: o.sessions }, () => io.loadModel(o.model)));
  const model = models[0]!;
  const V = model.spec.vocabSize;
  const modelDir = o.out ?? join("schedules", model.id);
  const outDir = o.compare ? join(modelDir, method) : modelDir;
  const calibrate = o.calibration;
  /** The schedules on disk, when only the calibration is fitted against them. */
  const shipped = o.task === "calibration" ? (await readScheduleDir(modelDir)).map((s) => s.file) : undefined;
  if (shipped?.length === 0) throw new Error(`--calibration-only: no schedules in ${modelDir}`);
  const targets = shipped ? shipped.map((s) => s.target).sort((a, b) => a - b) : o.targets;
  await mkdir(outDir, { recursive: true });
  const encode = (p: string): number[] => model.tokenizer.encode(p);
  const fitPrompts = prompts.fit.map(encode);
  const heldoutPrompts = prompts.heldout.map(encode);
  const longestPrompt = Math.max(...fitPrompts.map((p) => p.length), ...heldoutPrompts.map((p) => p.length));
  if (longestPrompt + tokens > model.spec.maxPositions) {
    throw new UsageError("tokens", `--tokens ${tokens} after the longest prompt (${longestPrompt} tokens) exceeds the model's ${model.spec.maxPositions} positions`);
  }
  const progress = createProgress(io.stderr, rows * tokens);
  const runner = createRunner(
    models.map((m) => m.lm),
    rows,
    progress,
  );
  log(`fit: model ${model.name} (${model.id}), V = ${V} (ln V = ${Math.log(V).toFixed(2)}), B = ${rows}, N = ${tokens}, ${models.length} sessions, method ${method}`);

  // Common random numbers: every measurement of a fit replays these prompts and seeds.
  const fitPlan = makePlan(fitPrompts, seed, fitShape);
  const windowPlan = fitPlan.map((e) => ({ ...e, tokens: Math.min(e.tokens, window) }));
  // Fresh seeds far from the fit's, on prompts the fit never saw.
  const evalPlan = makePlan(heldoutPrompts, seed + 1_000_000, evalShape);
  // The sweep only starts the fits: one full episode per temperature is enough, and none at all
  // (--sweep-full 0) when the fit's own full-length measurement is trusted with the plateau.
  const sweepFull = Math.min(o.sweepFull, fitShape.full);
  const sweepPlan = makePlan(fitPrompts, seed, { ...fitShape, full: sweepFull, mid: fitShape.mid + fitShape.full - sweepFull });
  const rolloutsOf = (episodes: readonly Episode[]): number => planTokens(episodes, rows) / (rows * tokens);

  /**
   * Both gaps (per-target offsets and k-row marginal gaps, src/fit/gaps.ts) measured on the
   * fitting plan under `files`' schedules, with the provenance recorded beside them.
   */
  async function gapsUnder(files: readonly ScheduleFile[]): Promise<{ gaps: MeasuredGaps; run: Provenance }> {
    const gapsStarted = performance.now();
    const set = createScheduleSet(files);
    progress.begin("gaps (offsets, k-row marginals)", planWork(fitPlan) * files.length, rolloutsOf(fitPlan) * files.length);
    const gaps = await measureGaps(
      (episodes, sampler, observe) => runner.run(episodes as Episode[], sampler, observe),
      fitPlan,
      files.map((f) => f.target),
      (target) => createScheduleController(set, target),
      rows,
    );
    const seconds = round((performance.now() - gapsStarted) / 1000, 1);
    progress.end(`offset at t = ${tokens - 1}: ${gaps.offsets.values.map((v) => v.at(-1)!.toFixed(2)).join(", ")} nats (targets ${gaps.offsets.targets.join(", ")})`);
    return { gaps, run: { prompts_hash: promptsHash, seed, batch: rows, tokens, window, plan: o.fitPlan, targets: gaps.offsets.targets, seconds } };
  }

  if (o.task === "gaps") {
    const files = (await readScheduleDir(modelDir)).map((s) => s.file);
    if (files.length === 0) throw new Error(`--gaps-only: no schedules in ${modelDir}`);
    const path = join(modelDir, "calibration.json");
    const json = JSON.parse(await readFile(path, "utf8")) as { run?: Provenance };
    const calibration = parseCalibration(json);
    const { gaps, run } = await gapsUnder(files);
    await write(path, serializeCalibration({ ...calibration, offsets: gaps.offsets, marginalGaps: gaps.marginal }, { ...json.run, gaps: run }));
    log(`wrote ${path} (per-target offsets and the 30-row − n-row gaps for n = ${gaps.marginal.map((g) => g.rows).join(", ")})`);
    await writeReadme(o.readme, modelDir, model.id, model.name);
    written.push(o.readme);
    return written;
  }

  /** Marginal entropy profile pooled over episodes. */
  function profileOf(traces: readonly RolloutTrace[], of: (t: RolloutTrace) => ArrayLike<number> = (t) => t.marginal): Profile {
    const p = createProfile(tokens);
    for (const trace of traces) addToProfileInPlace(p, of(trace));
    return p;
  }

  // ---- 1. Sweep ------------------------------------------------------------------------------
  const sweepTemps = o.sweep;
  const trainTokens = createTokenSamples();
  const heldoutTokens = createTokenSamples();
  const sweepStarted = performance.now();
  // One batch for the whole grid, so every session stays busy until the sweep ends.
  const sweepEpisodes = sweepTemps.flatMap(() => sweepPlan);
  progress.begin(`sweep T ∈ {${sweepTemps.join(", ")}}`, planWork(sweepEpisodes), rolloutsOf(sweepEpisodes));
  const sweepTraces = await runner.run(
    sweepEpisodes,
    (i) => createFixedController(sweepTemps[Math.floor(i / sweepPlan.length)]!),
    () => (calibrate ? sampleTokens(trainTokens) : undefined),
  );
  const sweep = sweepTemps.map((temperature, j) => {
    const traces = sweepTraces.slice(j * sweepPlan.length, (j + 1) * sweepPlan.length);
    const full = traces.filter((t) => t.marginal.length === tokens);
    const profile = profileOf(traces);
    // Without a full-length episode the mean covers the measured positions only (the window).
    const mean = full.length > 0 ? full.reduce((s, t) => s + t.marginal.reduce((a, b) => a + b, 0) / tokens, 0) / full.length : windowMean(profile, 0, tokens);
    return { temperature, profile: holdLastInPlace(smoothInPosition(profileMean(profile), profile.count)), mean };
  });
  const sweepSeconds = (performance.now() - sweepStarted) / 1000;
  progress.end(sweep.map((s) => `T=${s.temperature}: mean H ${s.mean.toFixed(3)}`).join(", "));
  // Every target must lie inside what the sweep reaches before any fitting time is spent.
  const fixedTemperatures = shipped
    ? []
    : targets.map((target) =>
        matchFixedTemperature(
          sweep.map((s) => s.temperature),
          sweep.map((s) => s.mean),
          target,
        ),
      );

  // ---- 2. Targets ----------------------------------------------------------------------------
  interface Evaluated {
    metrics: HeldoutMetrics;
    traces: RolloutTrace[];
  }

  /**
   * Runs the held-out plan once per arm (a sampler factory, and whether its tokens join the
   * calibration's held-out set) in one batch, with the bootstrap noise floor of every episode.
   */
  async function evaluate(arms: readonly { sampler: () => Sampler; collect: boolean }[], target: number): Promise<Evaluated[]> {
    const counts = resampleRows(rows, 16, createRng(seed));
    // Observers run synchronously between model steps, so the sessions can share one scratch row.
    const scratch = new Float64Array(V);
    const episodes = arms.flatMap(() => evalPlan);
    const variances = episodes.map((e) => new Float64Array(e.tokens).fill(Number.NaN));
    const arm = (i: number) => arms[Math.floor(i / evalPlan.length)]!;
    const traces = await runner.run(
      episodes,
      (i) => arm(i).sampler(),
      (i) => {
        const tokensObserver = arm(i).collect ? sampleTokens(heldoutTokens) : undefined;
        return (step) => {
          // Every early position, every 5th later: the floor is an average over positions.
          if (step.position < 50 || step.position % 5 === 0) variances[i]![step.position] = bootstrapVariance(step.probs, rows, V, counts, scratch);
          tokensObserver?.(step);
        };
      },
    );
    return arms.map((_, a) => {
      const mine = traces.slice(a * evalPlan.length, (a + 1) * evalPlan.length);
      const metrics = heldoutMetrics(
        mine.map((t, k) => ({ marginal: t.marginal, bootstrapVariance: variances[a * evalPlan.length + k]! })),
        target,
        tokens,
      );
      return { metrics, traces: mine };
    });
  }

  const scheduleEvals: RolloutTrace[] = [];
  /** The schedules the calibration is fitted against: the shipped ones, or those this run writes. */
  const calibrated: ScheduleFile[] = [...(shipped ?? [])];

  // Calibration only: the shipped schedules' held-out rollouts, nothing written for them.
  for (const file of shipped ?? []) {
    progress.begin(`target ${file.target} held-out (calibration)`, planWork(evalPlan), rolloutsOf(evalPlan));
    const [measured] = await evaluate([{ sampler: () => createScheduleController(createScheduleSet([file]), file.target), collect: true }], file.target);
    scheduleEvals.push(...measured!.traces);
    progress.end(`schedule RMSE ${measured!.metrics.rmse0To300.toFixed(3)}/${measured!.metrics.rmse0To1000.toFixed(3)}`);
  }

  for (const [k, target] of (shipped ? [] : targets).entries()) {
    const fixedT = fixedTemperatures[k]!;
    const start = startingCurve(
      sweep.map((s) => s.temperature),
      sweep.map((s) => s.profile),
      target,
    );
    const initial = smoothInPosition(start.temperatures.map(Math.log), undefined).map(Math.exp);
    const slope = smoothInPosition(start.slope, undefined);
    const label = `target ${target} ${method}`;
    const fitStarted = performance.now();
    const tokensBefore = runner.tokensGenerated;
    // The fit's rollouts add training tokens for the calibration at temperatures between the sweep's.
    // sa: the early measurements stop every episode at the window, where the schedule moves and
    // a step is cheap; the last ones run the same episodes (same prompts and seeds, so the first
    // `window` tokens replay exactly) to full length for the plateau. optimize needs one fixed
    // objective, so every evaluation runs the full plan.
    const fullFrom = method === "sa" ? Math.max(0, iterations - o.fullIterations) : 0;
    let calls = 0;
    // In-sample bias per window of each measurement (fit prompts and seeds): beside the held-out
    // bias it separates what the fit left uncorrected from what does not carry over to new prompts.
    const inSample: string[] = [];
    const measure = async (temperatures: Float64Array): Promise<Profile> => {
      const profile = profileOf(
        await runner.run(
          calls++ >= fullFrom ? fitPlan : windowPlan,
          () => curveSampler(temperatures),
          () => (calibrate ? sampleTokens(trainTokens, 25) : undefined),
        ),
      );
      inSample.push(
        WINDOWS.filter(([from]) => profile.count[from]! > 0)
          .map(([from, to]) => `${(((windowMean(profile, from, to) - target) / target) * 100).toFixed(1)}`)
          .join("/"),
      );
      return profile;
    };
    let knots: Knots;
    let measurements: number;
    progress.begin(label, planWork(windowPlan) * fullFrom + planWork(fitPlan) * (iterations - fullFrom), rolloutsOf(windowPlan) * fullFrom + rolloutsOf(fitPlan) * (iterations - fullFrom));
    if (method === "sa") {
      const result = await fitSa(measure, { target, initial, slope, iterations });
      knots = compressKnots(result.temperatures, { tolerance: 0.01, maxKnots: 48 });
      measurements = iterations;
      progress.end(`RMSE per iteration ${result.rmse.map((r) => r.toFixed(3)).join(" → ")}, ${knots.positions.length} knots; in-sample window bias % per iteration ${inSample.join(" → ")}`);
    } else {
      const result = await fitOptimize(measure, { target, initial, window, maxEvaluations: iterations });
      knots = result.knots;
      measurements = result.evaluations;
      progress.end(`${result.evaluations} evaluations, weighted MSE ${result.mse.toFixed(4)}`);
    }
    const fitSeconds = (performance.now() - fitStarted) / 1000;
    const fitRollouts = Math.ceil((runner.tokensGenerated - tokensBefore) / (rows * tokens) - 1e-9);

    const evalStarted = performance.now();
    progress.begin(`target ${target} held-out`, planWork(evalPlan) * 2, rolloutsOf(evalPlan) * 2);
    const [fitted, fixed] = (await evaluate(
      [
        { sampler: () => createScheduleController(createScheduleSet([{ target, ...knots }]), target), collect: calibrate },
        { sampler: () => createFixedController(fixedT), collect: false },
      ],
      target,
    )) as [Evaluated, Evaluated];
    scheduleEvals.push(...fitted.traces);
    const evalSeconds = (performance.now() - evalStarted) / 1000;
    const s = fitted.metrics;
    const f = fixed.metrics;
    progress.end(
      `schedule RMSE ${s.rmse0To300.toFixed(3)}/${s.rmse0To1000.toFixed(3)} (floor ${s.noiseFloor0To300.toFixed(3)}/${s.noiseFloor0To1000.toFixed(3)}), fixed T=${fixedT.toFixed(3)} RMSE ${f.rmse0To300.toFixed(3)}/${f.rmse0To1000.toFixed(3)}`,
    );

    const file: ScheduleFile = {
      version: 1,
      kind: "schedule",
      modelId: model.id,
      target,
      fit: { batch: rows, tokens, window, promptsHash, seed, method, rollouts: fitRollouts, iterations: measurements, seconds: round(fitSeconds, 1) },
      positions: knots.positions,
      temperatures: knots.temperatures,
      heldout: {
        rmse0To300: round(s.rmse0To300),
        rmse0To1000: round(s.rmse0To1000),
        windowBias: roundRecord(s.windowBias),
        windowSe: roundRecord(s.windowStandardError),
        noiseFloor0To300: round(s.noiseFloor0To300),
        noiseFloor0To1000: round(s.noiseFloor0To1000),
      },
      baseline: { temperature: round(fixedT), rmse0To300: round(f.rmse0To300), rmse0To1000: round(f.rmse0To1000), windowBias: roundRecord(f.windowBias), windowSe: roundRecord(f.windowStandardError) },
    };
    // What the run around this fit cost, and its plans.
    const run = {
      sweep: { temperatures: sweepTemps, rollouts: round(rolloutsOf(sweepEpisodes), 2), seconds: round(sweepSeconds, 1) },
      fit_plan: {
        full: fitShape.full,
        mid: fitShape.mid,
        short: fitShape.short,
        short_tokens: shortTokens,
        prompts: fitPrompts.length,
        ...(method === "sa" ? { full_length_iterations: iterations - fullFrom } : {}),
      },
      heldout_plan: { full: evalShape.full, mid: evalShape.mid, short: evalShape.short, short_tokens: shortTokens, prompts: heldoutPrompts.length, seconds: round(evalSeconds, 1) },
      sessions: models.length,
    };
    const name = `target-${target}`;
    await write(join(outDir, `${name}.json`), serializeSchedule(file, run));
    calibrated.push(file);
    const positions = Array.from({ length: tokens }, (_, t) => t);
    const ticks = [0, 10, 50, 300, tokens];
    await write(
      join(outDir, `${name}.svg`),
      renderSvg([
        {
          title: `Marginal entropy on held-out prompts (B = ${rows}, target ${target} nats)`,
          xLabel: "position t (log scale)",
          yLabel: "H(p̄_t), nats",
          xScale: "log1p",
          xTicks: ticks,
          series: [
            { x: positions, y: f.mean, label: `fixed T = ${fixedT.toFixed(2)}`, color: "#999" },
            { x: positions, y: s.mean, label: `schedule (${method})`, color: "#1f6fd1" },
            { x: [0, tokens - 1], y: [target, target], label: "target", color: "#d62728", dash: true },
          ],
        },
        {
          title: "Temperature",
          xLabel: "position t (log scale)",
          yLabel: "T",
          xScale: "log1p",
          xTicks: ticks,
          series: [
            { x: positions, y: positions.map(() => fixedT), label: "fixed T", color: "#999" },
            { x: positions, y: expandKnots(knots, tokens), label: "schedule T(t)", color: "#1f6fd1" },
            { x: knots.positions, y: knots.temperatures, label: "knots", color: "#1f6fd1", dots: true },
          ],
        },
      ]),
    );
    log(`wrote ${join(outDir, `${name}.json`)} (${knots.positions.length} knots, fit ${fitSeconds.toFixed(0)} s, ${fitRollouts} rollouts)`);
  }

  // ---- 3. Calibration ------------------------------------------------------------------------
  if (calibrate) {
    const calStarted = performance.now();
    const fits = fitCandidates(trainTokens, heldoutTokens);
    const chosen = chooseStatistic(fits);
    const calibration = { statistic: chosen.statistic, x: chosen.table.x, entropy: chosen.table.y };
    const gap = profileMean(profileOf(scheduleEvals, (t) => t.marginal.map((m, i) => m - t.conditional[i]!)));
    const gapProfile = profileOf(scheduleEvals);
    const offset = fitOffset(gap, gapProfile.count);
    // Gain: the proxy controller on short rollouts (the window) of the fitting prompts, every target.
    const gainPlan = makePlan(fitPrompts, seed, { full: 0, mid: 1, short: 0, tokens, midTokens: window, shortTokens: window });
    // Every (gain, target) pair in one batch, so both sessions stay busy.
    const pairs = o.gains.flatMap((gain) => targets.map((target) => ({ gain, target })));
    const gainEpisodes = pairs.flatMap(() => gainPlan);
    progress.begin("proxy gain", planWork(gainEpisodes), rolloutsOf(gainEpisodes));
    const pairOf = (i: number) => pairs[Math.floor(i / gainPlan.length)]!;
    const gainTraces = await runner.run(gainEpisodes, (i) => createProxyController({ target: pairOf(i).target, calibration, offset: offsetFromTable(offset), gain: pairOf(i).gain }));
    const trials = o.gains.map((gain) => {
      let se = 0;
      let n = 0;
      gainTraces.forEach((trace, i) => {
        const pair = pairOf(i);
        if (pair.gain !== gain) return;
        for (const h of trace.marginal) se += (h - pair.target) ** 2;
        n += trace.marginal.length;
      });
      return { gain, rmse: Math.sqrt(se / n) };
    });
    const best = trials.reduce((a, b) => (b.rmse < a.rmse ? b : a));
    progress.end(trials.map((t) => `gain ${t.gain}: RMSE ${t.rmse.toFixed(3)}`).join(", "));
    const measured = await gapsUnder(calibrated);
    const file: CalibrationFile = {
      version: 1,
      kind: "calibration",
      modelId: model.id,
      statistic: chosen.statistic,
      ...shortTable(chosen.table.x, chosen.table.y),
      offset,
      offsets: measured.gaps.offsets,
      marginalGaps: measured.gaps.marginal,
      gain: best.gain,
      heldout: {
        mae: round(chosen.mae),
        spearman: round(chosen.spearman),
        candidates: Object.fromEntries(fits.map((f) => [f.statistic, { mae: round(f.mae), spearman: round(f.spearman) }])),
      },
    };
    const run = {
      prompts_hash: promptsHash,
      seed,
      batch: rows,
      tokens,
      train_tokens: trainTokens.entropy.length,
      heldout_tokens: heldoutTokens.entropy.length,
      gain_trials: trials.map((t) => ({ gain: t.gain, rmse_0_window: round(t.rmse) })),
      window,
      targets,
      seconds: round((performance.now() - calStarted) / 1000, 1),
      gaps: measured.run,
    };
    await write(join(outDir, "calibration.json"), serializeCalibration(file, run));
    const stride = Math.max(1, Math.floor(heldoutTokens.entropy.length / 3000));
    const sampleX = fits.find((f) => f.statistic === chosen.statistic)!;
    const xs: number[] = [];
    const ys: number[] = [];
    for (let i = 0; i < heldoutTokens.entropy.length; i += stride) {
      const T = heldoutTokens.temperature[i]!;
      xs.push(chosen.statistic === "variance" ? heldoutTokens.variance[i]! / (T * T) : heldoutTokens[chosen.statistic][i]! / T);
      ys.push(heldoutTokens.entropy[i]!);
    }
    await write(
      join(outDir, "calibration.svg"),
      renderSvg([
        {
          title: `Proxy table: entropy vs ${chosen.statistic} of the scaled logits (held-out MAE ${chosen.mae.toFixed(3)} nats)`,
          xLabel: chosen.statistic === "variance" ? "var(z)/T²" : `${chosen.statistic}(z)/T`,
          yLabel: "entropy, nats",
          series: [
            { x: xs, y: ys, label: "held-out tokens", color: "#999", dots: true },
            { x: sampleX.table.x, y: sampleX.table.y, label: "monotone table", color: "#1f6fd1" },
          ],
        },
        {
          title: "Offset: marginal − mean conditional entropy under the fitted schedules",
          xLabel: "position t (log scale)",
          yLabel: "nats",
          xScale: "log1p",
          xTicks: [0, 10, 50, 300, tokens],
          series: [
            { x: Array.from(gap, (_, t) => t), y: gap, label: "measured", color: "#999" },
            { x: offset.positions, y: offset.values, label: "knots", color: "#1f6fd1" },
          ],
        },
      ]),
    );
    log(`wrote ${join(outDir, "calibration.json")} (${chosen.statistic}, MAE ${chosen.mae.toFixed(3)}, gain ${best.gain})`);
  }

  // ---- 4. README -----------------------------------------------------------------------------
  await writeReadme(o.readme, modelDir, model.id, model.name);
  written.push(o.readme);
  log(`fit: done in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  return written;
}
