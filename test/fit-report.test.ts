import { describe, expect, it } from "vitest";
import { parseCalibration, parseSchedule } from "../src/control/schedule-schema.js";
import { renderReport, toleranceSummary } from "../src/fit/report.js";

const raw = (method: "sa" | "optimize", rmse: number) => ({
  version: 1,
  kind: "schedule",
  model_id: "abc",
  target: 3,
  fit: { batch: 30, tokens: 1000, window: 300, prompts_hash: "sha256:1", seed: 1, method, rollouts: 6, iterations: 4, seconds: 120 },
  positions: [0, 999],
  temperatures: [1.4, 0.9],
  heldout: {
    rmse_0_300: rmse,
    rmse_0_1000: 0.1,
    window_bias: { "0-10": 0.03, "10-50": -0.01, "50-300": 0, "300-1000": 0.015 },
    noise_floor_0_300: 0.08,
    noise_floor_0_1000: 0.07,
  },
  baseline: { temperature: 0.95, rmse_0_300: 0.5, rmse_0_1000: 0.3, window_bias: { "0-10": -0.9, "10-50": -0.3, "50-300": 0.1, "300-1000": 0.05 } },
});
const schedule = (method: "sa" | "optimize", rmse: number) => parseSchedule(raw(method, rmse));

/** The fields every calibration fixture here shares. */
const CALIBRATION = { version: 1, kind: "calibration", model_id: "abc", statistic: "gap", x: [0, 1], entropy: [5, 1], offset: { positions: [0, 100], values: [0, 0.8] } };

describe("renderReport", () => {
  it("tabulates schedules, their fixed-T baselines, the method comparison and the calibration", () => {
    const md = renderReport({
      modelName: "kjv",
      modelId: "abc",
      schedules: [
        { file: schedule("sa", 0.12), path: "abc/target-3.json", sweepSeconds: 60, sweepRollouts: 7, heldoutSeconds: 30, heldoutPlan: { full: 2, mid: 4, short: 16, shortTokens: 50, prompts: 20 } },
      ],
      comparisons: [{ file: schedule("optimize", 0.2), path: "abc/optimize/target-3.json", sweepSeconds: 75, sweepRollouts: 3.2, sweepTemperatures: [0.65, 1] }],
      calibration: {
        file: parseCalibration({
          ...CALIBRATION,
          gain: 0.1,
          heldout: { mae: 0.2, spearman: 0.9, candidates: { gap: { mae: 0.2, spearman: 0.9 }, ratio: { mae: 1, spearman: 0.3 } } },
        }),
        path: "abc/calibration.json",
        gainTrials: [{ gain: 0.1, rmse: 0.3 }],
        window: 300,
      },
    });
    expect(md).toContain("| 3 | sa | 6 (4 iterations) | 120 | 60 + 30 | 2 | 0.120 / 0.080 | 0.100 / 0.070 | +0.030 (1.0 %) | -0.010 (-0.3 %) | +0.000 (0.0 %) | +0.015 (0.5 %) | 1.0 % |");
    expect(md).toContain("| 3 | 0.950 | 0.500 | 0.300 | -0.900 (-30.0 %)");
    expect(md).toContain("(2 full-length, 4 window-length and 16 50-token episodes of B rows, over 20 held-out prompts;");
    expect(md).toContain("### sa vs optimize");
    expect(md).toMatch(/\| 3 \| sa \| 6 \(4 iterations\)[^\n]*\n\| 3 \| optimize \| 6 \(4 evaluations\)/);
    // how many sa measurements ran to full length, when the run recorded it (optimize has no such split)
    const split = renderReport({
      modelName: "kjv",
      modelId: "abc",
      schedules: [{ file: schedule("sa", 0.12), path: "a", fullLengthIterations: 2 }],
      comparisons: [{ file: schedule("optimize", 0.2), path: "b", fullLengthIterations: 2 }],
    });
    expect(split).toContain("| 3 | sa | 6 (4 iterations, 2 full-length) |");
    expect(split).toContain("| 3 | optimize | 6 (4 evaluations) |");
    // one run: one sweep, no target list
    expect(md).toContain("Shared sweep: 7.0 rollouts in 60 s. A fresh one-target run costs sweep + fit + held-out.");
    // files refitted in a later run carry their own sweep: each is named with its targets
    const at = (target: number) => parseSchedule({ ...raw("sa", 0.1), target });
    const twoRuns = renderReport({
      modelName: "kjv",
      modelId: "abc",
      schedules: [
        { file: at(3), path: "a", sweepSeconds: 590, sweepRollouts: 20.1, sweepTemperatures: [0.5, 0.7, 1] },
        { file: at(4), path: "b", sweepSeconds: 545, sweepRollouts: 17.5, sweepTemperatures: [0.5, 1, 2] },
        { file: at(5), path: "c", sweepSeconds: 545, sweepRollouts: 17.5, sweepTemperatures: [0.5, 1, 2] },
      ],
      comparisons: [],
    });
    expect(twoRuns).toContain("Sweeps, one per run, shared by its targets: T ∈ {0.5, 0.7, 1}, 20.1 rollouts in 590 s (target 3); T ∈ {0.5, 1, 2}, 17.5 rollouts in 545 s (targets 4, 5).");
    // a fresh run's cost from a cold start: its own sweep plus the fit
    expect(md).toContain("- optimize, target 3: sweep of T ∈ {0.65, 1} 75 s (3.2 rollouts) + fit 120 s (6 rollouts) = **3.3 min** from a cold start");
    expect(md).toContain("Default statistic **gap**");
    expect(md).toContain("0.1 → 0.300; kept **0.1**");
  });

  it("tabulates the per-target offsets and each n's marginal gap at the window starts, interpolated in position", () => {
    const file = parseCalibration({
      ...CALIBRATION,
      offsets: {
        targets: [3.5, 6.5],
        positions: [0, 100, 999],
        values: [
          [0, 2, 2.2],
          [0, 1, 1.3],
        ],
      },
      marginal_gaps: [
        {
          rows: 4,
          targets: [3.5, 6.5],
          positions: [0, 1000],
          values: [
            [0, 1],
            [0, 0.5],
          ],
        },
      ],
      gain: 0.1,
      heldout: { mae: 0.2, spearman: 0.9 },
    });
    const md = renderReport({ modelName: "kjv", modelId: "abc", schedules: [], comparisons: [], calibration: { file, path: "abc/calibration.json" } });
    expect(md).toContain("| target | t = 0 | t = 10 | t = 50 | t = 300 | t = 999 |");
    // t = 50 is halfway to the knot at 100; t = 300 is 201/899 of the way from 100 to 999.
    expect(md).toContain(`| 3.5 | 0.000 | 0.200 | 1.000 | ${(2 + (0.2 * 200) / 899).toFixed(3)} | 2.200 |`);
    expect(md).toContain("| 6.5 | 0.000 | 0.100 | 0.500 |");
    expect(md).toContain("| n | target | t = 0 | t = 10 | t = 50 | t = 300 | t = 999 |");
    expect(md).toContain("| 4 | 3.5 | 0.000 | 0.010 | 0.050 | 0.300 | 0.999 |");
    expect(md).toContain("| 4 | 6.5 | 0.000 | 0.005 | 0.025 | 0.150 | 0.499 |");
    // without the tables, neither section
    expect(
      renderReport({ modelName: "kjv", modelId: "abc", schedules: [], comparisons: [], calibration: { file: { ...file, offsets: undefined, marginalGaps: undefined }, path: "x" } }),
    ).not.toContain("t = 999");
  });

  it("reports every model given under one title, each in its own section, in order", () => {
    const file = parseSchedule({ ...raw("sa", 0.1), target: 5 });
    const md = renderReport(
      { modelName: "kjv-gpt2-4m", modelId: "aaa", schedules: [{ file, path: "aaa/target-5.json" }], comparisons: [] },
      { modelName: "kjv-llama-2m", modelId: "bbb", schedules: [{ file, path: "bbb/target-5.json" }], comparisons: [] },
    );
    expect(md.match(/^# Fitted schedules/gm)).toHaveLength(1);
    const first = md.indexOf("## kjv-gpt2-4m (model id `aaa`)");
    const second = md.indexOf("## kjv-llama-2m (model id `bbb`)");
    expect(first).toBeGreaterThan(0);
    expect(second).toBeGreaterThan(first);
    expect(md.slice(first, second)).toContain("aaa/target-5.json");
    expect(md.slice(second)).toContain("bbb/target-5.json");
    expect(md.slice(second)).not.toContain("aaa/");
  });

  it("counts the windows within 2 % and says how many standard errors each miss lies beyond it", () => {
    const at5 = (bias: Record<string, number>, se?: Record<string, number>) =>
      parseSchedule({ ...raw("sa", 0.1), target: 5, heldout: { rmse_0_300: 0.1, rmse_0_1000: 0.1, window_bias: bias, ...(se ? { window_se: se } : {}) } });
    const bias = { "0-10": 0.05, "10-50": -0.05, "50-300": 0, "300-1000": -0.15 };
    // −3 % at target 5 is 0.05 nats beyond the 2 % line; with a standard error of 0.1 that is 0.5 of one.
    const file = at5(bias, { "0-10": 0.02, "10-50": 0.02, "50-300": 0.05, "300-1000": 0.1 });
    expect(file.heldout.windowSe?.["300-1000"]).toBe(0.1);
    expect(toleranceSummary([{ file, path: "x" }])).toBe("Windows within 2 % of the target on the held-out rollout: **3 of 4**; missed: target 5 [300,1000) -3.0 %, 0.5 standard errors beyond 2 %.");
    expect(toleranceSummary([{ file: at5(bias), path: "x" }])).toBe("Windows within 2 % of the target on the held-out rollout: **3 of 4**; missed: target 5 [300,1000) -3.0 %.");
    const md = renderReport({ modelName: "kjv", modelId: "abc", schedules: [{ file, path: "x" }], comparisons: [] });
    expect(md).toContain("-0.150 (-3.0 % ± 2.0)");
    expect(md).toContain("± is its standard error across the held-out episodes");
  });
});
