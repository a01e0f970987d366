/** `npm run fit` as a program: its checked options, and the orchestration on a fake model writing to a temp dir. */
import { mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parseCommandLine, UsageError } from "../src/cli/args.js";
import { runFit } from "../src/cli/fit-command.js";
import { FIT_COMMAND, type FitOptions, fitOptions } from "../src/cli/fit-options.js";
import { parseCalibration, parseSchedule, serializeCalibration, serializeSchedule } from "../src/control/schedule-schema.js";
import { createFakeModel, createSink } from "./cli-fake-model.js";

function optionsOf(argv: string[]): FitOptions {
  const line = parseCommandLine(FIT_COMMAND, argv);
  if (line.help) throw new Error("unexpected --help");
  return fitOptions(line.values);
}

describe("fit options", () => {
  it("defaults iterations by method and sorts the sweep", () => {
    expect(optionsOf(["--targets", "3"]).iterations).toBe(4);
    expect(optionsOf(["--targets", "3", "--method", "optimize"]).iterations).toBe(40);
    expect(optionsOf(["--targets", "3", "--method", "optimize", "--iterations", "7"]).iterations).toBe(7);
    expect(optionsOf(["--targets", "3", "--sweep", "2,0.5,1"]).sweep).toEqual([0.5, 1, 2]);
  });

  it("requires --targets unless only the calibration or the README is asked for", () => {
    expect(() => optionsOf([])).toThrow(UsageError);
    expect(() => optionsOf([])).toThrow("--targets is required");
    expect(optionsOf(["--calibration-only"])).toMatchObject({ task: "calibration", targets: [], calibration: true });
    expect(optionsOf(["--readme-only"]).task).toBe("readme");
  });

  it("fits the calibration after the schedules unless --no-calibration or --compare", () => {
    expect(optionsOf(["--targets", "3"]).calibration).toBe(true);
    expect(optionsOf(["--targets", "3", "--no-calibration"]).calibration).toBe(false);
    expect(optionsOf(["--targets", "3", "--compare"]).calibration).toBe(false);
  });

  it("reads the plans' shapes", () => {
    const o = optionsOf(["--targets", "3", "--fit-full", "6", "--fit-mid", "0", "--eval-short", "3"]);
    expect(o.fitPlan).toEqual({ full: 6, mid: 0, short: 8 });
    expect(o.evalPlan).toEqual({ full: 2, mid: 4, short: 3 });
  });
});

describe("runFit on a fake model", () => {
  const model = createFakeModel();
  let dir = "";
  /** Tiny plans: 20 tokens, 4 rows, one target the fake model reaches between T = 0.5 and 2. */
  const tiny = (...more: string[]) =>
    optionsOf([
      ...["--tokens", "20", "--window", "10", "--batch", "4", "--short-tokens", "5", "--sweep", "0.5,2", "--iterations", "2", "--gains", "0.1,0.3"],
      ...["--prompts", join(dir, "prompts.txt"), "--out", join(dir, "out"), "--readme", join(dir, "README.md")],
      ...more,
    ]);
  const io = () => ({ loadModel: async () => model, stderr: createSink() });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "isentropic-fit-"));
    await writeFile(join(dir, "prompts.txt"), "# fitting\nIn the beginning\nAnd it came\n# held-out\nThen said\nBlessed is\n");
  });

  it("writes each target's schedule and plot, the calibration and the README, through the schema", async () => {
    const sink = createSink();
    const written = await runFit(tiny("--targets", "3"), { loadModel: async () => model, stderr: sink });
    const out = join(dir, "out");
    expect(written).toEqual([join(out, "target-3.json"), join(out, "target-3.svg"), join(out, "calibration.json"), join(out, "calibration.svg"), join(dir, "README.md")]);
    expect(sink.text).toContain(`fit: model fake (${model.id})`);

    const text = await readFile(join(out, "target-3.json"), "utf8");
    const json = JSON.parse(text) as { run: Record<string, unknown> };
    const schedule = parseSchedule(json);
    expect(schedule).toMatchObject({ modelId: model.id, target: 3, fit: { batch: 4, tokens: 20, window: 10, seed: 1, method: "sa", iterations: 2 } });
    expect(schedule.baseline?.temperature).toBeGreaterThan(0.5);
    expect(json.run).toMatchObject({ sweep: { temperatures: [0.5, 2] }, fit_plan: { full: 2, mid: 2, short: 8, short_tokens: 5, prompts: 2 }, sessions: 2 });
    expect(serializeSchedule(schedule, json.run)).toBe(text);

    const calText = await readFile(join(out, "calibration.json"), "utf8");
    const cal = JSON.parse(calText) as { run: Record<string, unknown> };
    const calibration = parseCalibration(cal);
    expect(calibration.modelId).toBe(model.id);
    expect([0.1, 0.3]).toContain(calibration.gain);
    expect(cal.run).toMatchObject({ batch: 4, tokens: 20, window: 10, targets: [3] });
    expect(serializeCalibration(calibration, cal.run)).toBe(calText);
    // The gaps that put every mode on the B-row scale, measured under the schedule just fitted.
    expect(calibration.offsets?.targets).toEqual([3]);
    expect(calibration.marginalGaps?.map((g) => g.rows)).toEqual([2, 3]);
    expect(calibration.offsets!.values[0]![0]).toBe(0);
    expect(Math.max(...calibration.offsets!.values[0]!)).toBeGreaterThan(0);

    const readme = await readFile(join(dir, "README.md"), "utf8");
    expect(readme).toContain("out/target-3.json");
  });

  it("fits only the calibration against the schedules on disk, leaving them as they were", async () => {
    const before = await readFile(join(dir, "out", "target-3.json"), "utf8");
    const written = await runFit(tiny("--calibration-only"), io());
    expect(written.map((p) => p.slice(dir.length + 1))).toEqual(["out/calibration.json", "out/calibration.svg", "README.md"]);
    expect(await readFile(join(dir, "out", "target-3.json"), "utf8")).toBe(before);
  });

  it("--gaps-only adds the per-target offsets and k-row gaps to the calibration on disk, keeping the rest", async () => {
    const path = join(dir, "out", "calibration.json");
    const before = JSON.parse(await readFile(path, "utf8")) as Record<string, unknown> & { run: Record<string, unknown> };
    const { offsets: _o, marginal_gaps: _g, ...rest } = before;
    await writeFile(path, serializeCalibration(parseCalibration(rest), before.run));
    const written = await runFit(tiny("--gaps-only", "--fit-full", "1", "--fit-mid", "1", "--fit-short", "0"), io());
    expect(written.map((p) => p.slice(dir.length + 1))).toEqual(["out/calibration.json", "README.md"]);
    const after = JSON.parse(await readFile(path, "utf8")) as Record<string, unknown> & { run: Record<string, unknown> };
    expect(after.statistic).toEqual(before.statistic);
    expect(after.gain).toEqual(before.gain);
    expect(parseCalibration(after).offsets?.targets).toEqual([3]);
    expect(after.run).toMatchObject({ ...before.run, gaps: { batch: 4, plan: { full: 1, mid: 1, short: 0 }, targets: [3] } });
  });

  it("--compare writes into <out>/<method>/ and skips the calibration", async () => {
    const written = await runFit(tiny("--targets", "3", "--compare", "--method", "optimize", "--iterations", "5"), io());
    expect(written.map((p) => p.slice(dir.length + 1))).toEqual(["out/optimize/target-3.json", "out/optimize/target-3.svg", "README.md"]);
    expect(parseSchedule(JSON.parse(await readFile(join(dir, "out", "optimize", "target-3.json"), "utf8"))).fit.method).toBe("optimize");
    expect((await readdir(join(dir, "out", "optimize"))).sort()).toEqual(["target-3.json", "target-3.svg"]);
  });

  it("--readme-only regenerates the README and fits nothing", async () => {
    expect(await runFit(tiny("--readme-only"), io())).toEqual([join(dir, "README.md")]);
  });

  it("refuses --tokens past the model's positions before rolling anything out, naming the flag", async () => {
    await expect(runFit(tiny("--targets", "3", "--tokens", "300"), io())).rejects.toThrow(
      new UsageError("tokens", "--tokens 300 after the longest prompt (16 tokens) exceeds the model's 256 positions"),
    );
  });

  it("says which file is missing when the prompts are not there", async () => {
    await expect(runFit({ ...tiny("--targets", "3"), prompts: join(dir, "nope.txt") }, io())).rejects.toThrow(/nope\.txt/);
  });
});
