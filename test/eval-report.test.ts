import { readdir, readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { type ArmResult, answers, type EvalResults, modeColor, quotedReports, renderEvalReport, renderRepetitionSvg, windowMisses, withAnswersQuoted } from "../src/fit/eval-report.js";

const windows = (v: number): Record<string, number> => ({ "0-10": v, "10-50": v, "50-300": v, "300-1000": v });
const arm = (label: string, bias: Record<string, number>): ArmResult => ({
  mode: label.split(" ")[0]!,
  label,
  setting: "",
  rows: 30,
  rmse0To300: 0.3,
  rmse0To1000: 0.3,
  noiseFloor0To300: 0.2,
  noiseFloor0To1000: 0.2,
  windowBias: bias,
  conditional: windows(4),
  temperature: windows(1),
  distinct2: windows(0.9),
  distinct3: windows(0.95),
  repeated4: windows(0.01),
  selfBleu: 0.2,
  controllerMicros: 1.5,
});
const results = (targets: EvalResults["targets"]): EvalResults => ({
  version: 1,
  command: "npm run eval",
  commit: "abc",
  date: "2026-11-29",
  machine: "test",
  seconds: 1,
  model: { name: "m", id: "0" },
  plan: { measuredRows: 30, marginalRows: 32, tokens: 1000, full: 2, short: 8, shortTokens: 50, prompts: 10, seed: 7 },
  mirostat: { tuningTokens: 200, tuningEpisodes: 2, grid: [{ tau: 3, mean: 4 }] },
  targets,
});

describe("evaluation report", () => {
  it("flags exactly the windows whose bias exceeds 2 % of the target", () => {
    const a = arm("schedule", { ...windows(0.05), "300-1000": -0.15 });
    expect(windowMisses(a, 5)).toEqual([{ window: "[300,1000)", relative: -0.03 }]);
    expect(windowMisses(a, 10)).toEqual([]);
  });

  it("answers per mode family, joining fixed T and Mirostat τ across targets", () => {
    const lines = answers(
      results([
        { target: 4, arms: [arm("schedule", windows(0.01)), arm("fixed T=0.70", { ...windows(0), "0-10": -0.4 })] },
        { target: 5, arms: [arm("schedule", { ...windows(0), "10-50": 0.2 }), arm("fixed T=0.82", windows(0.02))] },
      ]),
    );
    expect(lines).toEqual(["- **schedule**: held every window within 2 % at 4; missed at 5 ([10,50) +4.0 %).", "- **fixed**: held every window within 2 % at 5; missed at 4 ([0,10) -10.0 %)."]);
  });

  it("puts each window's standard error across episodes beside its bias, when the run recorded it", () => {
    const withSe = { ...arm("schedule", { ...windows(0), "300-1000": -0.15 }), windowSe: { ...windows(0.01), "300-1000": 0.06 } };
    expect(windowMisses(withSe, 5)).toEqual([{ window: "[300,1000)", relative: -0.03, relativeSe: 0.012 }]);
    const r = results([{ target: 5, arms: [withSe] }]);
    expect(answers(r)).toEqual(["- **schedule**: held every window within 2 % at no target; missed at 5 ([300,1000) -3.0 % ± 1.2)."]);
    expect(renderEvalReport(r)).toContain("-0.150 (-3.0 % ± 1.2)");
    expect(renderEvalReport(r)).toContain("standard error across the episodes");
    expect(renderEvalReport(results([{ target: 5, arms: [arm("schedule", windows(0))] }]))).not.toContain("standard error across the episodes");
  });

  it("judges each prompt on its own: a table of median and worst prompt per window, and a 3 % answer per target", () => {
    const spread = (worst: number) => ({ "0-10": { prompts: 12, median: 0.004, worst }, "10-50": { prompts: 12, median: -0.01, worst: -0.02 } });
    const held = { ...arm("proxy", windows(0)), perPrompt: spread(0.029) };
    const missed = { ...arm("proxy", windows(0)), perPrompt: spread(-0.047) };
    const r = results([
      { target: 3.5, arms: [held] },
      { target: 6.5, arms: [missed] },
    ]);
    expect(answers(r)).toEqual(["- **proxy**: held every window within 2 % at 3.5, 6.5. Per prompt: every prompt within 3 % in every window at 3.5; not at 6.5 (worst [0,10) -4.7 %)."]);
    const text = renderEvalReport(r);
    expect(text).toContain("| proxy | +0.4 % / -4.7 % (12) | -1.0 % / -2.0 % (12) | – | – |");
    expect(renderEvalReport(results([{ target: 3.5, arms: [arm("proxy", windows(0))] }]))).not.toContain("median / worst prompt");
  });

  it("says in its method that marginal's gap is scaled by each batch's divergence only for runs whose arms were", () => {
    const marginal = (setting: string) => ({ ...arm("marginal n=4", windows(0)), setting });
    const text = (setting: string) => renderEvalReport(results([{ target: 5, arms: [marginal(setting)] }]));
    expect(text("8 × n 4, gain 0.1, 30-row gap fitted, scaled by the batch's divergence")).toContain("scaled by each batch's own divergence");
    expect(text("8 × n 4, gain 0.1, 30-row gap fitted")).not.toContain("scaled by each batch's own divergence");
  });

  it("lists each prompt's window biases per arm, numbered in plan order, misses of 3 % in bold", () => {
    const a = { ...arm("proxy", windows(0)), episodes: [windows(0.012), { "0-10": -0.031, "10-50": 0.0049 }, { "0-10": 0.03 }] };
    const b = { ...arm("marginal n=4", windows(0)), episodes: [windows(-0.2), { "0-10": 0.001 }] };
    const r = {
      ...results([{ target: 3.5, arms: [a, b, arm("fixed T=0.7", windows(0))] }]),
      heldout: ["In the beginning God created the heaven and the earth", "And"],
      plan: { ...results([]).plan, prompts: 2 },
    };
    const text = renderEvalReport(r);
    expect(text).toContain("| prompt | proxy | marginal n=4 |");
    // The plan cycles the prompts, so each row names its seed too (seed + i for episode i).
    expect(text).toContain("| 1 “In the beginning God created th…”, seed 7 | +1.2 / +1.2 / +1.2 / +1.2 | **-20.0** / **-20.0** / **-20.0** / **-20.0** |");
    expect(text).toContain("| 2 “And”, seed 8 | **-3.1** / +0.5 | +0.1 |");
    // Episode 3 decoded prompt 1 again; the arm without it shows a dash.
    expect(text).toContain("| 1 “In the beginning God created th…”, seed 9 | +3.0 | – |");
    expect(renderEvalReport(results([{ target: 3.5, arms: [arm("proxy", windows(0))] }]))).not.toContain("| prompt |");
    // One episode per prompt: no seeds in the names.
    const once = renderEvalReport({ ...r, targets: [{ target: 3.5, arms: [{ ...a, episodes: a.episodes.slice(0, 2) }] }], plan: { ...r.plan, full: 2, short: 0 } });
    expect(once).toContain("| 2 “And” | **-3.1** / +0.5 |");
  });

  it("judges prompts run on several seeds by their mean, with the seed-to-seed spread, and says how the plan cycled them", () => {
    const spread = { prompts: 2, median: 0.035, worst: 0.04, episodes: 6, seedSd: 0.0183 };
    const a = { ...arm("schedule", windows(0)), perPrompt: { "0-10": spread } };
    const text = renderEvalReport({ ...results([{ target: 3.5, arms: [a] }]), plan: { ...results([]).plan, full: 0, short: 6, prompts: 2 } });
    expect(text).toContain("cycling over 2 prompts, so each prompt runs 3 times on different seeds");
    expect(text).toContain("the mean over its 3 episodes on different seeds");
    expect(text).toContain("| schedule | +3.5 % / +4.0 % (2; 6 episodes, seed SD 1.8 %) |");
  });

  it("describes in its method only the modes that ran, and a plan without short episodes as such", () => {
    const all = renderEvalReport(results([{ target: 5, arms: [arm("fixed T=0.8", windows(0)), arm("schedule", windows(0)), arm("mirostat τ=3", windows(0))] }]));
    expect(all).toContain("- `fixed`: ");
    expect(all).toContain("- `mirostat`: ");
    expect(all).not.toContain("- `proxy`: ");
    const some = {
      ...results([{ target: 5, arms: [{ ...arm("marginal n=4", windows(0)), mode: "marginal" }, arm("proxy", windows(0))] }]),
      plan: { ...results([]).plan, full: 10, short: 0, prompts: 10 },
    };
    const md = renderEvalReport(some);
    expect(md).toContain("- `proxy`: ");
    expect(md).toContain("- `marginal n=k`: ");
    for (const absent of ["fixed", "schedule", "schedule_open", "exact", "mirostat"]) expect(md).not.toContain(`- \`${absent}\`: `);
    expect(md).toContain("10 full-length episode(s) of 1000 tokens, each on its own prompt (10 prompts)");
    expect(md).toContain("each position pools the 10 episodes");
  });

  it("shows notes added after the run under the header", () => {
    const r = { ...results([{ target: 5, arms: [arm("schedule", windows(0))] }]), notes: ["the schedules were refit since"] };
    const md = renderEvalReport(r);
    expect(md).toContain("> **Note:** the schedules were refit since");
    expect(md.indexOf("> **Note:**")).toBeLessThan(md.indexOf("## Method"));
  });

  it("draws repetition per window with one panel per target and one colour per mode family", () => {
    const svg = renderRepetitionSvg(
      results([
        { target: 4, arms: [arm("schedule", windows(0)), arm("fixed T=0.70", windows(0))] },
        { target: 5, arms: [arm("schedule", windows(0)), arm("mirostat τ=3.4", windows(0))] },
      ]),
    );
    expect(svg.match(/Repeated 4-grams per window at target \d/g)).toHaveLength(2);
    expect(svg).toContain(modeColor("schedule"));
    expect(modeColor("fixed T=0.70")).toBe(modeColor("fixed T=1.21"));
    expect(modeColor("mirostat τ=3.4")).not.toBe(modeColor("fixed T=0.70"));
  });

  // docs/eval: every mode, 20 prompts (most to 300 tokens).
  // docs/eval-marginal: the divergence-scaled marginal on docs/eval's plan, each prompt's biases listed.
  // docs/eval-schedule: the prompt-aware schedule since 654db77, 10 prompts to 1000 tokens and 10 to 300.
  // docs/eval-1000: every mode the issue judges but exact, 10 prompts each to 1000 tokens.
  // docs/eval-probe: schedule and proxy probing the prompt (f5a5167), on docs/eval-schedule's plan.
  it.each([
    { dir: "docs/eval", modes: ["exact", "fixed", "marginal", "marginal", "mirostat", "proxy", "schedule", "schedule_open"], prompts: 20, full: 1, eachPrompt: false },
    { dir: "docs/eval-marginal", modes: ["marginal", "marginal"], prompts: 20, full: 1, eachPrompt: true },
    { dir: "docs/eval-schedule", modes: ["schedule"], prompts: 20, full: 10, eachPrompt: true },
    { dir: "docs/eval-1000", modes: ["fixed", "marginal", "marginal", "mirostat", "proxy", "schedule"], prompts: 10, full: 10, eachPrompt: true },
    { dir: "docs/eval-probe", modes: ["proxy", "schedule"], prompts: 20, full: 10, eachPrompt: true },
  ])("the committed $dir/README.md is the rendering of the committed results.json", async ({ dir, modes, prompts, full, eachPrompt }) => {
    const committed = JSON.parse(await readFile(`${dir}/results.json`, "utf8")) as EvalResults;
    expect(await readFile(`${dir}/README.md`, "utf8")).toBe(renderEvalReport(committed));
    expect(await readFile(`${dir}/repetition.svg`, "utf8")).toBe(renderRepetitionSvg(committed));
    expect(committed.plan.prompts).toBeGreaterThanOrEqual(prompts);
    expect(committed.plan.full).toBeGreaterThanOrEqual(full);
    // The modes the issue asks for were measured at 3.5, 6.5 and at least one target between.
    expect(committed.targets.length).toBeGreaterThanOrEqual(3);
    expect(committed.targets.map((t) => t.target)).toEqual(expect.arrayContaining([3.5, 6.5]));
    for (const { arms } of committed.targets) {
      expect(arms.map((a) => a.mode).sort()).toEqual(modes);
      // judged per prompt, not only pooled
      for (const arm of arms) expect(arm.perPrompt, arm.label).toBeDefined();
      // …and, from docs/eval-marginal on, each episode's own biases, one per episode of the plan.
      if (eachPrompt) for (const arm of arms) expect(arm.episodes?.length, arm.label).toBe(committed.plan.full + committed.plan.short);
    }
    expect(committed.plan.tokens).toBe(1000);
    expect(committed.plan.measuredRows).toBe(30);
  });

  // docs/eval-seeds: schedule and proxy, each held-out prompt on three seeds, judged by its mean.
  // docs/eval-seeds-marginal: marginal n = 4 and 8 on the same plan at 3.5.
  // docs/eval-seeds-6.5: schedule, proxy and marginal on the same plan at 6.5.
  it.each([
    { dir: "docs/eval-seeds", modes: ["proxy", "schedule"], targets: [3.5, 4.6] },
    { dir: "docs/eval-seeds-marginal", modes: ["marginal", "marginal"], targets: [3.5] },
    { dir: "docs/eval-seeds-6.5", modes: ["marginal", "marginal", "proxy", "schedule"], targets: [6.5] },
  ])("the committed $dir/README.md is the rendering of its results.json, every prompt judged over three seeds", async ({ dir, modes, targets }) => {
    const committed = JSON.parse(await readFile(`${dir}/results.json`, "utf8")) as EvalResults;
    expect(await readFile(`${dir}/README.md`, "utf8")).toBe(renderEvalReport(committed));
    expect(await readFile(`${dir}/repetition.svg`, "utf8")).toBe(renderRepetitionSvg(committed));
    const { prompts, full, short } = committed.plan;
    expect(prompts).toBe(20);
    expect(full + short).toBe(3 * prompts);
    expect(committed.targets.map((t) => t.target)).toEqual(targets);
    for (const { arms } of committed.targets) {
      expect(arms.map((a) => a.mode).sort()).toEqual(modes);
      for (const arm of arms) {
        expect(arm.episodes).toHaveLength(3 * prompts);
        // Each window's worst prompt is a mean over three episodes, with their spread beside it.
        for (const spread of Object.values(arm.perPrompt!)) expect(spread).toMatchObject({ prompts, episodes: 3 * prompts, seedSd: expect.any(Number) });
      }
    }
  });
});

describe("the README's quotes of the reports", () => {
  it("quotes every committed report's answers word for word, as the report renders them now", async () => {
    const readme = await readFile("README.md", "utf8");
    const folders = (await readdir("docs", { withFileTypes: true })).filter((d) => d.isDirectory() && d.name.startsWith("eval")).map((d) => `docs/${d.name}`);
    // a report is a folder with its results.json (a run in progress has only .partial/)
    const committed = (await Promise.all(folders.map(async (dir) => ((await readFile(`${dir}/results.json`).catch(() => undefined)) ? [dir] : [])))).flat();
    const quoted = quotedReports(readme);
    expect(quoted.sort()).toEqual(committed.sort());
    for (const dir of quoted) {
      const results = JSON.parse(await readFile(`${dir}/results.json`, "utf8")) as EvalResults;
      // re-quoting from the report changes nothing, and the quote holds every answer line
      expect(withAnswersQuoted(readme, dir, results), dir).toBe(readme);
      for (const line of answers(results)) expect(readme).toContain(line);
    }
  });
  it("re-renders only the quote from the named report", () => {
    const results = (label: string): EvalResults => ({ targets: [{ target: 5, arms: [{ mode: label, label, windowBias: { "0-10": 0.5 }, windowSe: {} }] }] }) as unknown as EvalResults;
    const readme = "a\n<!-- answers: docs/x -->\nold x\n<!-- /answers -->\nb\n<!-- answers: docs/y -->\nold y\n<!-- /answers -->\n";
    expect(quotedReports(readme)).toEqual(["docs/x", "docs/y"]);
    const out = withAnswersQuoted(readme, "docs/y", results("proxy"));
    expect(out).toBe(`a\n<!-- answers: docs/x -->\nold x\n<!-- /answers -->\nb\n<!-- answers: docs/y -->\n${answers(results("proxy")).join("\n")}\n<!-- /answers -->\n`);
    expect(out).toContain("- **proxy**: held every window within 2 % at no target; missed at 5 ([0,10) +10.0 %).");
    expect(withAnswersQuoted(readme, "docs/z", results("proxy"))).toBe(readme);
  });

  it("fills a quote added empty, and leaves the blocks after it alone", () => {
    const results = { targets: [{ target: 5, arms: [{ mode: "schedule", label: "schedule", windowBias: { "0-10": 0.01 }, windowSe: {} }] }] } as unknown as EvalResults;
    const readme = "a\n<!-- answers: docs/new -->\n<!-- /answers -->\nb\n<!-- answers: docs/old -->\nold\n<!-- /answers -->\nc\n";
    expect(quotedReports(readme)).toEqual(["docs/new", "docs/old"]);
    expect(withAnswersQuoted(readme, "docs/new", results)).toBe(
      `a\n<!-- answers: docs/new -->\n${answers(results).join("\n")}\n<!-- /answers -->\nb\n<!-- answers: docs/old -->\nold\n<!-- /answers -->\nc\n`,
    );
  });
});
