/**
 * Report — the markdown of schedules/README.md, built from the fitted files themselves so the
 * numbers in it are the numbers the Worker loads (never typed by hand).
 */
import type { CalibrationFile, ScheduleFile } from "../control/schedule-schema.js";
import { type TargetTable, tableAtTarget } from "../control/target-table.js";
import { TOLERANCE, WINDOWS, windowLabel } from "./metrics.js";

/** A schedule file with the run provenance the CLI writes beside the schema's fields. */
export interface ReportedSchedule {
  file: ScheduleFile;
  /** Path relative to the README. */
  path: string;
  /** Seconds the shared sweep and the held-out evaluation took in the run that wrote it. */
  sweepSeconds?: number;
  sweepRollouts?: number;
  /** Fixed temperatures of that sweep. */
  sweepTemperatures?: number[];
  heldoutSeconds?: number;
  /** sa: how many of its iterations measured full-length episodes (the others stopped at the window). */
  fullLengthIterations?: number;
  /** Episodes of the held-out evaluation: full length, window length, short, on how many prompts. */
  heldoutPlan?: { full: number; mid: number; short: number; shortTokens: number; prompts: number };
}

export interface ReportedCalibration {
  file: CalibrationFile;
  path: string;
  gainTrials?: { gain: number; rmse: number }[];
  window?: number;
}

export interface ReportInput {
  modelName: string;
  modelId: string;
  /** Shipped schedules (the directory the Worker loads). */
  schedules: ReportedSchedule[];
  /** Schedules fitted by the other method for comparison (not loaded). */
  comparisons: ReportedSchedule[];
  calibration?: ReportedCalibration;
}

const f3 = (v: number | undefined): string => (v === undefined || !Number.isFinite(v) ? "–" : v.toFixed(3));
const signed = (v: number | undefined): string => (v === undefined || !Number.isFinite(v) ? "–" : `${v >= 0 ? "+" : ""}${v.toFixed(3)}`);
const pct = (bias: number | undefined, target: number): string => (bias === undefined ? "–" : `${((100 * bias) / target).toFixed(1)} %`);
const row = (cells: readonly string[]): string => `| ${cells.join(" | ")} |`;
const header = (cells: readonly string[]): string => `${row(cells)}\n${row(cells.map(() => "---"))}`;

function worstPct(bias: Record<string, number>, target: number): number {
  return (Math.max(...WINDOWS.map((w) => Math.abs(bias[windowLabel(w)] ?? 0))) / target) * 100;
}

/** "−0.050 (−1.0 %)", with "± 0.8" (the standard error across held-out episodes, in %) when the file has it. */
const biasCells = (bias: Record<string, number>, target: number, se?: Record<string, number>): string[] => [
  ...WINDOWS.map((w) => {
    const e = se?.[windowLabel(w)];
    return `${signed(bias[windowLabel(w)])} (${pct(bias[windowLabel(w)], target)}${e === undefined ? "" : ` ± ${((100 * e) / target).toFixed(1)}`})`;
  }),
  `${worstPct(bias, target).toFixed(1)} %`,
];
const biasHeader = [...WINDOWS.map((w) => `bias [${w[0]},${w[1]})`), "worst window"];

function scheduleTable(items: readonly ReportedSchedule[]): string {
  const lines = [header(["target", "method", "rollouts", "fit s", "sweep + held-out s", "knots", "RMSE [0,300) / floor", "RMSE [0,1000) / floor", ...biasHeader])];
  for (const { file: s, sweepSeconds, heldoutSeconds, fullLengthIterations } of items) {
    const full = s.fit.method === "sa" && fullLengthIterations !== undefined ? `, ${fullLengthIterations} full-length` : "";
    lines.push(
      row([
        String(s.target),
        s.fit.method,
        `${s.fit.rollouts}${s.fit.iterations ? ` (${s.fit.iterations} ${s.fit.method === "sa" ? "iterations" : "evaluations"}${full})` : ""}`,
        s.fit.seconds.toFixed(0),
        sweepSeconds !== undefined && heldoutSeconds !== undefined ? `${sweepSeconds.toFixed(0)} + ${heldoutSeconds.toFixed(0)}` : "–",
        String(s.positions.length),
        `${f3(s.heldout.rmse0To300)} / ${f3(s.heldout.noiseFloor0To300)}`,
        `${f3(s.heldout.rmse0To1000)} / ${f3(s.heldout.noiseFloor0To1000)}`,
        ...biasCells(s.heldout.windowBias, s.target, s.heldout.windowSe),
      ]),
    );
  }
  return lines.join("\n");
}

function baselineTable(items: readonly ReportedSchedule[]): string {
  const lines = [header(["target", "fixed T", "RMSE [0,300)", "RMSE [0,1000)", ...biasHeader])];
  for (const { file: s } of items) {
    if (!s.baseline) continue;
    const b = s.baseline;
    lines.push(row([String(s.target), b.temperature.toFixed(3), f3(b.rmse0To300), f3(b.rmse0To1000), ...biasCells(b.windowBias, s.target, b.windowSe)]));
  }
  return lines.join("\n");
}

/** Which windows hold the tolerance, and how far each miss is in standard errors when the files carry them. */
export function toleranceSummary(items: readonly ReportedSchedule[]): string {
  let held = 0;
  let total = 0;
  const misses: string[] = [];
  for (const { file: s } of items) {
    for (const w of WINDOWS) {
      const bias = s.heldout.windowBias[windowLabel(w)];
      if (bias === undefined) continue;
      total++;
      const relative = bias / s.target;
      if (Math.abs(relative) <= TOLERANCE) {
        held++;
        continue;
      }
      const se = s.heldout.windowSe?.[windowLabel(w)];
      const z = se !== undefined && se > 0 ? `, ${(((Math.abs(relative) - TOLERANCE) * s.target) / se).toFixed(1)} standard errors beyond ${100 * TOLERANCE} %` : "";
      misses.push(`target ${s.target} [${w[0]},${w[1]}) ${(100 * relative).toFixed(1)} %${z}`);
    }
  }
  return `Windows within ${100 * TOLERANCE} % of the target on the held-out rollout: **${held} of ${total}**${misses.length > 0 ? `; missed: ${misses.join("; ")}.` : "."}`;
}

/**
 * One phrase per distinct sweep the shipped schedules started from (files refitted in a later
 * run carry that run's sweep), naming its targets when there is more than one.
 */
function sweepLines(items: readonly ReportedSchedule[]): string[] {
  const runs = new Map<string, { text: string; targets: number[] }>();
  for (const s of items) {
    if (s.sweepSeconds === undefined) continue;
    const temps = s.sweepTemperatures ? `T ∈ {${s.sweepTemperatures.join(", ")}}, ` : "";
    const text = `${temps}${s.sweepRollouts?.toFixed(1) ?? "?"} rollouts in ${s.sweepSeconds.toFixed(0)} s`;
    const run = runs.get(text) ?? { text, targets: [] };
    run.targets.push(s.file.target);
    runs.set(text, run);
  }
  return [...runs.values()].map((r) => (runs.size > 1 ? `${r.text} (target${r.targets.length > 1 ? "s" : ""} ${r.targets.join(", ")})` : r.text));
}

/** The README text: its title, then one section per model, in the order given. */
export function renderReport(...inputs: readonly ReportInput[]): string {
  const head = ["# Fitted schedules and proxy calibration", "", "Generated by `npm run fit` (src/cli/fit.ts) from the JSON files in this directory; do not edit by hand.", ""];
  return `${head.join("\n")}\n${inputs.map(renderModel).join("")}`;
}

/** One model's section. */
function renderModel(input: ReportInput): string {
  const out: string[] = [];
  out.push(`## ${input.modelName} (model id \`${input.modelId}\`)`);
  out.push("");
  const first = input.schedules[0]?.file ?? input.comparisons[0]?.file;
  const plan = (input.schedules[0] ?? input.comparisons[0])?.heldoutPlan;
  if (first) {
    out.push(
      `B = ${first.fit.batch} rows, N = ${first.fit.tokens} tokens, window ${first.fit.window}, prompts \`${first.fit.promptsHash}\`, seed ${first.fit.seed}. ` +
        "Every figure below is measured on a fresh rollout: new seeds on held-out prompts" +
        (plan
          ? ` (${plan.full} full-length, ${plan.mid} window-length and ${plan.short} ${plan.shortTokens}-token episodes of B rows, over ${plan.prompts} held-out prompts; each position pools the episodes that reach it). `
          : ". ") +
        "RMSE is per position of the B-row marginal entropy H(p̄_t) against the target, nats; the floor is what B-row sampling noise alone gives (bootstrap over rows). " +
        "Bias is the window mean of (measured − target)" +
        (input.schedules.some((x) => x.file.heldout.windowSe)
          ? "; ± is its standard error across the held-out episodes covering the window, in % of the target (each episode on its own prompt: a schedule depends on position only, so this prompt-to-prompt spread is what it cannot remove, and what a handful of prompts can resolve). "
          : ". ") +
        "The fixed T is the one temperature whose mean marginal entropy over all N positions matches the target, measured on the same held-out rollouts. " +
        "Rollouts count generated tokens in units of B × N; the sweep of fixed temperatures that starts every fit is shared by all targets of a run.",
    );
    out.push("");
  }
  if (input.schedules.length > 0) {
    out.push("### Shipped schedules");
    out.push("");
    out.push(scheduleTable(input.schedules));
    out.push("");
    out.push(toleranceSummary(input.schedules));
    out.push("");
    out.push("The fixed temperature matching each target on average, on the same held-out rollouts:");
    out.push("");
    out.push(baselineTable(input.schedules));
    out.push("");
    const sweeps = sweepLines(input.schedules);
    if (sweeps.length > 0) {
      out.push(`${sweeps.length === 1 ? "Shared sweep" : "Sweeps, one per run, shared by its targets"}: ${sweeps.join("; ")}. A fresh one-target run costs sweep + fit + held-out.`);
      out.push("");
    }
    out.push(input.schedules.map((s) => `- target ${s.file.target}: [${s.path}](${s.path}), plot [${s.path.replace(/\.json$/, ".svg")}](${s.path.replace(/\.json$/, ".svg")})`).join("\n"));
    out.push("");
  }
  if (input.comparisons.length > 0) {
    out.push("### sa vs optimize");
    out.push("");
    out.push(
      "Fresh one-target runs (`npm run fit -- --compare --method <m> --targets <x>`, written to `sa/` and `optimize/` beside the shipped files and not loaded by the Worker), each with its own sweep, next to the shipped schedule for the same target. Same prompts, seeds and held-out plan as the shipped fits.",
    );
    out.push("");
    const targets = [...new Set(input.comparisons.map((c) => c.file.target))].sort((a, b) => a - b);
    const rows = targets.flatMap((t) => [...input.schedules.filter((s) => s.file.target === t), ...input.comparisons.filter((c) => c.file.target === t)]);
    out.push(scheduleTable(rows));
    out.push("");
    for (const c of input.comparisons) {
      if (c.sweepSeconds === undefined) continue;
      const total = c.sweepSeconds + c.file.fit.seconds;
      const sweep = c.sweepTemperatures ? `sweep of T ∈ {${c.sweepTemperatures.join(", ")}}` : "sweep";
      out.push(
        `- ${c.file.fit.method}, target ${c.file.target}: ${sweep} ${c.sweepSeconds.toFixed(0)} s (${c.sweepRollouts?.toFixed(1) ?? "?"} rollouts) + fit ${c.file.fit.seconds.toFixed(0)} s (${c.file.fit.rollouts} rollouts) = **${(total / 60).toFixed(1)} min** from a cold start to a fitted schedule, before the held-out evaluation.`,
      );
    }
    out.push("");
  }
  const cal = input.calibration;
  if (cal) {
    const c = cal.file;
    out.push("### Proxy calibration");
    out.push("");
    out.push(`Default statistic **${c.statistic}** (${c.x.length} knots), chosen by held-out MAE at equal cost (one pass over the logits each); [${cal.path}](${cal.path}).`);
    out.push("");
    out.push(header(["statistic", "held-out MAE, nats", "Spearman", "note"]));
    for (const [name, score] of Object.entries(c.heldout.candidates ?? { [c.statistic]: c.heldout })) {
      const note =
        name === c.statistic
          ? "chosen"
          : name === "ratio"
            ? "(max − mean)/std: does not scale with T, so it cannot be solved for T"
            : name === "variance"
              ? "full-vocabulary logit variance (the original proposal)"
              : "";
      out.push(row([name, f3(score.mae), f3(score.spearman), note]));
    }
    out.push("");
    out.push(
      `Offset (marginal − mean conditional entropy, for aiming single sequences at a marginal target): ${c.offset.positions.length} knots, ${f3(c.offset.values[0])} nats at t = 0 → ${f3(c.offset.values[c.offset.values.length - 1])} at t = ${c.offset.positions[c.offset.positions.length - 1]}.`,
    );
    out.push("");
    out.push(...targetTableSections(c));
    if (cal.gainTrials) {
      out.push(
        `Gain tuned with the proxy controller on ${cal.window ?? "window"}-token rollouts at every target (marginal RMSE, nats): ${cal.gainTrials.map((t) => `${t.gain} → ${f3(t.rmse)}`).join(", ")}; kept **${c.gain}**.`,
      );
      out.push("");
    }
  }
  return `${out.join("\n")}\n`;
}

/** Positions at which the per-target tables are shown: one per window start, and the last. */
const TABLE_POSITIONS = [0, 10, 50, 300, 999];

/** One row per fitted target: the table's value at each of TABLE_POSITIONS. */
function tableRows(table: TargetTable, lead: string[] = []): string[] {
  return table.targets.map((target) => {
    const at = tableAtTarget(table, target);
    return row([...lead, String(target), ...TABLE_POSITIONS.map((t) => f3(at(t)))]);
  });
}

/** The per-target offsets and the n-row marginal gaps (`npm run fit -- --gaps-only`), when the calibration has them. */
function targetTableSections(c: CalibrationFile): string[] {
  const out: string[] = [];
  const columns = TABLE_POSITIONS.map((t) => `t = ${t}`);
  if (c.offsets) {
    out.push("Offset per target (marginal over 30 rows − mean conditional entropy, nats), what `proxy`, `exact` and `schedule` aim each row below the target by:");
    out.push("");
    out.push(header(["target", ...columns]));
    out.push(...tableRows(c.offsets));
    out.push("");
  }
  if (c.marginalGaps && c.marginalGaps.length > 0) {
    out.push("Gap per request size n (marginal over 30 rows − marginal over n rows, nats), what `marginal` at n aims its own rows' marginal below the target by:");
    out.push("");
    out.push(header(["n", "target", ...columns]));
    for (const gap of c.marginalGaps) out.push(...tableRows(gap.table, [String(gap.rows)]));
    out.push("");
  }
  return out;
}
