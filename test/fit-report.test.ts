import { describe, expect, it } from "vitest";
import { parseCalibration, parseSchedule } from "../src/control/schedule-schema.js";
import { renderReport } from "../src/fit/report.js";

const schedule = (method: "sa" | "optimize", rmse: number) =>
  parseSchedule({
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

describe("renderReport", () => {
  it("tabulates schedules, their fixed-T baselines, the method comparison and the calibration", () => {
    const md = renderReport({
      modelName: "kjv",
      modelId: "abc",
      schedules: [{ file: schedule("sa", 0.12), path: "abc/target-3.json", sweepSeconds: 60, sweepRollouts: 7, heldoutSeconds: 30, heldoutPlan: { full: 2, mid: 4, short: 16, shortTokens: 50, prompts: 20 } }],
      comparisons: [{ file: schedule("optimize", 0.2), path: "abc/optimize/target-3.json", sweepSeconds: 75, sweepRollouts: 3.2, sweepTemperatures: [0.65, 1] }],
      calibration: {
        file: parseCalibration({
          version: 1,
          kind: "calibration",
          model_id: "abc",
          statistic: "gap",
          x: [0, 1],
          entropy: [5, 1],
          offset: { positions: [0, 100], values: [0, 0.8] },
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
    // a fresh run's cost from a cold start: its own sweep plus the fit
    expect(md).toContain("- optimize, target 3: sweep of T ∈ {0.65, 1} 75 s (3.2 rollouts) + fit 120 s (6 rollouts) = **3.3 min** from a cold start");
    expect(md).toContain("Default statistic **gap**");
    expect(md).toContain("0.1 → 0.300; kept **0.1**");
  });
});
