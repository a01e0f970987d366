/** `npm run eval` as a program: its options, the arms it builds, how results are assembled, and a whole run on a fake model. */

import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseCommandLine } from "../src/cli/args.js";
import { type ArmSpec, buildArms, MARGINAL_ROWS, matchedTemperature, matchTau, ROWS } from "../src/cli/eval-arms.js";
import { openCheckpoint } from "../src/cli/eval-checkpoint.js";
import { type EvalIo, runEval } from "../src/cli/eval-command.js";
import { EVAL_COMMAND, type EvalOptions, evalOptions } from "../src/cli/eval-options.js";
import { createRecord, resultsByTarget, summarizeArm } from "../src/cli/eval-results.js";
import { runFit } from "../src/cli/fit-command.js";
import { FIT_COMMAND, fitOptions } from "../src/cli/fit-options.js";
import { buildCatalog } from "../src/control/catalog.js";
import { parseSchedule } from "../src/control/schedule-schema.js";
import { answers, type EvalResults } from "../src/fit/eval-report.js";
import type { Model } from "../src/model/model.js";
import { createFakeModel, createSink } from "./cli-fake-model.js";
import { counted } from "./helpers/counted.js";

function optionsOf(argv: string[]): EvalOptions {
  const line = parseCommandLine(EVAL_COMMAND, argv);
  if (line.help) throw new Error("unexpected --help");
  return evalOptions(line.values, argv);
}

describe("eval options", () => {
  it("sorts the τ grid and records the command as typed", () => {
    const o = optionsOf(["--mirostat-taus", "3,0.5,1", "--full", "1"]);
    expect(o.taus).toEqual([0.5, 1, 3]);
    expect(o.command).toBe("npm run eval -- --mirostat-taus 3,0.5,1 --full 1");
    expect(optionsOf([]).command).toBe("npm run eval");
  });
});

describe("matchTau", () => {
  const grid = [
    { tau: 1, mean: 3 },
    { tau: 2, mean: 4 },
    { tau: 4, mean: 5 },
  ];

  it("interpolates τ linearly between the grid points around the target", () => {
    expect(matchTau(grid, 3.5)).toEqual({ tau: 1.5 });
    expect(matchTau(grid, 4.5)).toEqual({ tau: 3 });
    expect(matchTau(grid, 5)).toEqual({ tau: 4 });
  });

  it("clamps to the closest end and says why", () => {
    expect(matchTau(grid, 6)).toEqual({ tau: 4, note: expect.stringContaining("cannot exceed the model's own") });
    expect(matchTau(grid, 2)).toEqual({ tau: 1, note: expect.stringContaining("extend --mirostat-taus downwards") });
  });
});

describe("buildArms on the shipped schedules and calibration", () => {
  const modelId = "7bb613a7ac5a76a5";
  const dir = join("schedules", modelId);
  const files = readdirSync(dir)
    .filter((n) => n.endsWith(".json"))
    .map((name) => ({ name, json: JSON.parse(readFileSync(join(dir, name), "utf8")) as unknown }));
  const catalog = buildCatalog(modelId, files);
  const schedules = files.filter((f) => f.name.startsWith("target-")).map((f) => parseSchedule(f.json));
  const grid = [
    { tau: 1, mean: 3 },
    { tau: 8, mean: 7 },
  ];
  const context = { catalog, vocabSize: 4096, schedules, grid };

  it("matches fixed T at a fitted target, and in log T between two, refusing targets outside", () => {
    const at = (t: number) => schedules.find((f) => f.target === t)!.baseline!.temperature;
    const [lo, hi] = [schedules[0]!.target, schedules[1]!.target];
    expect(matchedTemperature(schedules, lo)).toBe(at(lo));
    expect(matchedTemperature(schedules, (lo + hi) / 2)).toBeCloseTo(Math.sqrt(at(lo) * at(hi)), 3);
    expect(() => matchedTemperature(schedules, lo - 1)).toThrow(/outside/);
    expect(() => matchedTemperature(schedules, Math.max(...schedules.map((f) => f.target)) + 1)).toThrow(/outside/);
  });

  it("builds every mode at every target, in order, with the matched fixed T and τ", () => {
    const arms = buildArms([3.5, 5], context);
    expect(arms.map((a) => `${a.target} ${a.label}`)).toEqual([
      ...[3.5, 5].flatMap((t) => {
        const T = matchedTemperature(schedules, t).toFixed(2);
        const tau = matchTau(grid, t).tau;
        return [`fixed T=${T}`, "schedule", "schedule_open", "proxy", "marginal n=4", "marginal n=8", "exact", `mirostat τ=${tau}`].map((l) => `${t} ${l}`);
      }),
    ]);
    expect(arms.filter((a) => a.mode === "marginal").every((a) => a.rows === MARGINAL_ROWS)).toBe(true);
    expect(arms.filter((a) => a.mode !== "marginal").every((a) => a.rows === ROWS)).toBe(true);
    const proxy = arms.find((a) => a.mode === "proxy")!;
    expect(proxy.setting).toBe(`${catalog.calibration!.statistic}, prompt probed on 8 shadow rows, gain ${catalog.calibration!.gain}`);
    expect(proxy.note).toBeUndefined();
  });

  it("builds only the modes asked for, in the same order, and needs no τ grid without Mirostat", () => {
    const arms = buildArms([3.5, 6.5], { ...context, grid: [], modes: ["marginal", "schedule"] });
    expect(arms.map((a) => `${a.target} ${a.label}`)).toEqual(["3.5 schedule", "3.5 marginal n=4", "3.5 marginal n=8", "6.5 schedule", "6.5 marginal n=4", "6.5 marginal n=8"]);
    expect(buildArms([5], { ...context, modes: [] })).toHaveLength(8);
    expect(buildArms([5], { ...context, modes: ["mirostat"] }).map((a) => a.label)).toEqual([`mirostat τ=${matchTau(grid, 5).tau}`]);
  });

  it("makes a fresh sampler per call", () => {
    for (const arm of buildArms([5], context)) {
      const a = arm.make();
      expect(typeof a.sampler.apply).toBe("function");
      expect(arm.make().sampler).not.toBe(a.sampler);
    }
  });

  it("runs schedule, proxy and exact as 30 independent requests, each probing its prompt, as the API's n = 1 does", () => {
    const probes = Object.fromEntries(buildArms([5], context).map((arm) => [arm.mode, arm.make().probes]));
    for (const mode of ["schedule", "proxy", "exact"]) {
      expect(probes[mode]).toHaveLength(ROWS);
      expect(new Set(probes[mode]).size).toBe(ROWS);
    }
    for (const mode of ["fixed", "schedule_open", "marginal", "mirostat"]) expect(probes[mode]).toEqual([]);
  });

  it("names the fitted targets when a target lies outside them", () => {
    expect(() => buildArms([99], context)).toThrow(/target 99 is outside the fitted targets with a baseline \(/);
  });

  it("needs a calibration", () => {
    expect(() => buildArms([5], { ...context, catalog: { ...catalog, calibration: undefined } })).toThrow(/no proxy calibration/);
  });
});

describe("result assembly", () => {
  const spec = (target: number, label: string): ArmSpec => ({ target, mode: label, label, setting: "s", rows: ROWS, make: () => ({ sampler: { name: "none", apply: () => {} }, probes: [] }) });

  it("summarizes an arm's episodes: bias per window, temperature per window, and the arm's identity", () => {
    const tokens = 60;
    const records = [0, 1].map(() => {
      const r = createRecord(tokens, 3);
      r.marginal.fill(5.25);
      r.conditional.fill(4);
      r.temperature.fill(0.9);
      r.ids.forEach((row, b) => {
        for (let t = 0; t < row.length; t++) row[t] = (t * (b + 1)) % 7;
      });
      return r;
    });
    records[1]!.marginal.fill(4.5, 0, 10);
    const { result, marginal } = summarizeArm({ ...spec(5, "fixed"), note: "a note" }, records, 12.345, tokens);
    // Each episode's own window biases, in the order of the records (the plan's).
    expect(result.episodes).toEqual([
      { "0-10": 0.05, "10-50": 0.05, "50-300": 0.05 },
      { "0-10": -0.1, "10-50": 0.05, "50-300": 0.05 },
    ]);
    expect(result).toMatchObject({ mode: "fixed", label: "fixed", setting: "s", rows: ROWS, controllerMicros: 12.35, note: "a note" });
    expect(result.windowBias).toEqual({ "0-10": -0.125, "10-50": 0.25, "50-300": 0.25 });
    // Per position of each episode: √((10 · (0.25² + 0.5²) + 100 · 0.25²) / 120).
    expect(result.rmse0To300).toBeCloseTo(Math.sqrt(0.078125), 4);
    expect(result.temperature).toEqual({ "0-10": 0.9, "10-50": 0.9, "50-300": 0.9 });
    expect(result.conditional["0-10"]).toBe(4);
    expect(marginal[0]).toBeCloseTo(4.875, 6);
    // Each episode its own prompt by default; two episodes of one prompt (the plan cycled one held-out prompt) are judged by their mean.
    expect(result.perPrompt!["0-10"]).toEqual({ prompts: 2, median: -0.025, worst: -0.1 });
    const once = summarizeArm(spec(5, "fixed"), records, 1, tokens, 1).result.perPrompt!["0-10"]!;
    expect(once).toMatchObject({ prompts: 1, median: -0.025, worst: -0.025, episodes: 2 });
    expect(once.seedSd).toBeCloseTo(Math.sqrt(0.15 ** 2 / 2), 4);
  });

  it("groups results by target in the targets' order", () => {
    const result = (label: string) => ({ label }) as unknown as EvalResults["targets"][number]["arms"][number];
    const arms = [
      { spec: spec(5, "a"), result: result("a") },
      { spec: spec(3.5, "b"), result: result("b") },
      { spec: spec(5, "c"), result: result("c") },
    ];
    expect(resultsByTarget([3.5, 5], arms)).toEqual([
      { target: 3.5, arms: [result("b")] },
      { target: 5, arms: [result("a"), result("c")] },
    ]);
  });
});

/** The fake model fitted at target 3 in a fresh directory, with two held-out prompts. */
async function fittedFake(): Promise<{ model: Model; dir: string; prompts: string }> {
  const model = createFakeModel();
  const dir = await mkdtemp(join(tmpdir(), "isentropic-eval-"));
  const prompts = join(dir, "prompts.txt");
  await writeFile(prompts, "In the beginning\nAnd it came\n# held-out\nThen said\nBlessed is\n");
  const fit = parseCommandLine(FIT_COMMAND, [
    ...["--targets", "3", "--tokens", "20", "--window", "10", "--batch", "4", "--short-tokens", "5", "--sweep", "0.5,2", "--iterations", "2"],
    ...["--prompts", prompts, "--out", join(dir, "schedules", model.id), "--readme", join(dir, "schedules", "README.md")],
  ]);
  if (fit.help) throw new Error("unexpected --help");
  await runFit(fitOptions(fit.values), { loadModel: async () => model, stderr: createSink() });
  return { model, dir, prompts };
}

/** The eval's I/O on `model` from the schedules on disk, recording `commit`. */
function evalIo(
  model: Model,
  commit: string,
  hooks: { onLoad?: () => void; onDescribe?: () => void; stdout?: (text: string) => void; changed?: (commit: string) => string[] | undefined } = {},
): EvalIo {
  return {
    loadModel: async () => {
      hooks.onLoad?.();
      return model;
    },
    loadCatalog: async (root, id) => {
      const names = (await readdir(join(root, id))).filter((n) => n.endsWith(".json"));
      return buildCatalog(id, await Promise.all(names.map(async (name) => ({ name, json: JSON.parse(await readFile(join(root, id, name), "utf8")) as unknown }))));
    },
    describeRun: async () => {
      hooks.onDescribe?.();
      return { commit, machine: "a test" };
    },
    codeChangedSince: async (since) => hooks.changed?.(since),
    stdout: (text) => hooks.stdout?.(text),
    stderr: createSink(),
  };
}

const SMALL_EVAL = ["--targets", "3", "--tokens", "12", "--full", "1", "--short", "1", "--short-tokens", "4", "--mirostat-taus", "0.5,1,2", "--mirostat-tokens", "6", "--sessions", "1"];

describe("runEval on a fake model", () => {
  it("fits, then evaluates every mode and writes results.json, the report and the plots", async () => {
    const { model, dir, prompts } = await fittedFake();
    const out = join(dir, "eval");
    let report = "";
    // The commit is read before anything runs (the run may outlast a commit made meanwhile).
    let loads = 0;
    let loadsWhenDescribed = -1;
    const o = optionsOf(SMALL_EVAL);
    const results = await runEval(
      { ...o, schedules: join(dir, "schedules"), prompts, out },
      evalIo(model, "abc1234", {
        onLoad: () => loads++,
        onDescribe: () => {
          loadsWhenDescribed = loads;
        },
        stdout: (text) => {
          report += text;
        },
      }),
    );
    expect(results).toBeDefined();
    expect(loadsWhenDescribed).toBe(0);
    expect(results!).toMatchObject({ commit: "abc1234", machine: "a test", model: { name: "fake", id: model.id }, plan: { tokens: 12, full: 1, short: 1, shortTokens: 4, seed: 7 } });
    expect(results!.mirostat.grid.map((g) => g.tau)).toEqual([0.5, 1, 2]);
    expect(results!.targets.map((t) => t.target)).toEqual([3]);
    expect(results!.targets[0]!.arms.map((a) => a.mode)).toEqual(["fixed", "schedule", "schedule_open", "proxy", "marginal", "marginal", "exact", "mirostat"]);
    // Judged per prompt too: each arm carries the median and worst prompt of every window it reached.
    for (const arm of results!.targets[0]!.arms) expect(arm.perPrompt?.["0-10"]?.prompts).toBeGreaterThan(0);
    // …and each episode's own biases, in plan order, beside the held-out prompts it decoded.
    expect(results!.heldout).toEqual(["Then said", "Blessed is"]);
    for (const arm of results!.targets[0]!.arms) expect(arm.episodes?.map((e) => Object.keys(e))).toEqual([["0-10", "10-50"], ["0-10"]]);
    // A finished run leaves no checkpoint behind.
    expect((await readdir(out)).sort()).toEqual(["README.md", "repetition.svg", "results.json", "target-3.svg"]);
    expect(JSON.parse(await readFile(join(out, "results.json"), "utf8"))).toEqual(JSON.parse(JSON.stringify(results)));
    expect(await readFile(join(out, "README.md"), "utf8")).toBe(report);

    // --render-only: the report again from results.json, nothing run; and the project README's
    // quote of its answers, where it quotes this report (by its path from the README's folder), and no other.
    await writeFile(join(out, "README.md"), "stale");
    const readme = join(dir, "PROJECT.md");
    const quoting = (quote: string) => `intro\n<!-- answers: eval -->\n${quote}\n<!-- /answers -->\n<!-- answers: other -->\nkept\n<!-- /answers -->\n`;
    await writeFile(readme, quoting("stale"));
    expect(
      await runEval(
        { ...o, renderOnly: true, out },
        {
          loadModel: () => Promise.reject(new Error("no model")),
          loadCatalog: () => Promise.reject(new Error("no catalog")),
          describeRun: () => Promise.reject(new Error("no")),
          codeChangedSince: () => Promise.reject(new Error("no")),
          stdout: () => {},
          stderr: createSink(),
          readme,
        },
      ),
    ).toBeUndefined();
    expect(await readFile(join(out, "README.md"), "utf8")).toBe(report);
    expect(await readFile(readme, "utf8")).toBe(quoting(answers(results!).join("\n")));
  });

  it("runs only the modes named, and tunes Mirostat's τ only when Mirostat is one of them", async () => {
    const { model, dir, prompts } = await fittedFake();
    const base = { ...optionsOf(SMALL_EVAL), schedules: join(dir, "schedules"), prompts };
    const only = counted(model);
    // A run re-renders the project README's quote of its report too.
    const readme = join(dir, "PROJECT.md");
    await writeFile(readme, "<!-- answers: schedule -->\nstale\n<!-- /answers -->\n");
    const results = await runEval({ ...base, modes: ["schedule"], out: join(dir, "schedule") }, { ...evalIo(only.model, "abc1234"), readme });
    expect(results!.targets[0]!.arms.map((a) => a.mode)).toEqual(["schedule"]);
    expect(await readFile(readme, "utf8")).toBe(`<!-- answers: schedule -->\n${answers(results!).join("\n")}\n<!-- /answers -->\n`);
    expect(results!.mirostat.grid).toEqual([]);
    // One arm of 2 episodes (12 and 4 tokens), and nothing else: no τ grid.
    expect(only.steps()).toBeLessThanOrEqual(12 + 4);
    const withMirostat = await runEval({ ...base, modes: ["schedule", "mirostat"], out: join(dir, "both") }, evalIo(model, "abc1234"));
    expect(withMirostat!.mirostat.grid.map((g) => g.tau)).toEqual([0.5, 1, 2]);
  });

  it("saves episodes that end together (two sessions) without racing for run.json", async () => {
    const dir = await mkdtemp(join(tmpdir(), "isentropic-checkpoint-"));
    const o = { ...optionsOf(SMALL_EVAL), out: dir };
    const checkpoint = await openCheckpoint(o, "abc1234", async () => []);
    const record = (v: number) => {
      const r = createRecord(12, 3);
      r.marginal.fill(v);
      return r;
    };
    await Promise.all([0, 1, 2, 3].map((k) => checkpoint.save(k, 0, record(k), k)));
    const reopened = await openCheckpoint({ ...o, resume: true }, "abc1234", async () => []);
    expect(reopened.resumed).toBe(4);
    for (const k of [0, 1, 2, 3]) expect((await reopened.load(k, 0))?.record.marginal[5]).toBe(k);
  });

  it("saves each finished episode, so that a stopped run resumes with --resume to the numbers of one that never stopped", async () => {
    const { model, dir, prompts } = await fittedFake();
    const base = { ...optionsOf(SMALL_EVAL), schedules: join(dir, "schedules"), prompts };
    const once = counted(model);
    const whole = await runEval({ ...base, out: join(dir, "whole") }, evalIo(once.model, "abc1234"));
    const wholeSteps = once.steps();
    const numbers = (r: EvalResults | undefined) => r!.targets.map((t) => t.arms.map(({ controllerMicros: _, ...rest }) => rest));

    // The same run, killed part-way through the arms (early, and late in the second batch): its finished episodes stay on disk.
    for (const [k, part] of [0.5, 0.85].entries()) {
      const out = join(dir, `stopped-${k}`);
      const stoppedAt = Math.round(wholeSteps * part);
      await expect(runEval({ ...base, out }, evalIo(counted(model, stoppedAt).model, "abc1234"))).rejects.toThrow(/killed/);
      const saved = (await readdir(join(out, ".partial"))).filter((n) => n.endsWith(".bin"));
      expect(saved.length).toBeGreaterThan(0);

      // Not overwritten unasked, nor resumed with other options or other code.
      await expect(runEval({ ...base, out }, evalIo(model, "abc1234"))).rejects.toThrow(/--resume/);
      await expect(runEval({ ...base, out, resume: true, seed: 8 }, evalIo(model, "abc1234"))).rejects.toThrow(/other options/);
      // Another commit resumes only when none of the files that make episodes changed since.
      await expect(runEval({ ...base, out, resume: true }, evalIo(model, "def5678"))).rejects.toThrow(/git cannot compare them.*mix code/);
      await expect(runEval({ ...base, out, resume: true }, evalIo(model, "def5678", { changed: () => ["src/control/proxy.ts"] }))).rejects.toThrow(/src\/control\/proxy.ts changed.*mix code/);

      const again = counted(model);
      // Here only prose changed since abc1234 (k = 1), or nothing (k = 0): the report names the episodes' commit.
      const since: string[] = [];
      const resumed = await runEval(
        { ...base, out, resume: true, command: "npm run eval -- --resume" },
        evalIo(again.model, k === 1 ? "def5678" : "abc1234", {
          changed: (c) => {
            since.push(c);
            return [];
          },
        }),
      );
      expect(since).toEqual(k === 1 ? ["abc1234"] : []);
      expect(resumed!.commit).toBe("abc1234");
      // Only what was not saved runs again: the τ grid and the saved episodes do not, the one in flight (≤ 12 steps) does.
      expect(again.steps()).toBeGreaterThan(0);
      expect(again.steps()).toBeLessThanOrEqual(wholeSteps - stoppedAt + 12);
      expect(numbers(resumed)).toEqual(numbers(whole));
      expect(resumed!.mirostat).toEqual(whole!.mirostat);
      expect(resumed!.command).toBe(whole!.command);
      expect((await readdir(out)).includes(".partial")).toBe(false);
    }
    await expect(runEval({ ...base, out: join(dir, "none"), resume: true }, evalIo(model, "abc1234"))).rejects.toThrow(/no stopped run/);
  });
});
