/**
 * Evaluation report — the markdown of docs/eval/README.md, rendered from the results the
 * evaluation wrote (docs/eval/results.json), so every number in the prose is one the command
 * measured and a test can re-render the file and compare.
 */
import { PROMPT_TOLERANCE, TOLERANCE, WINDOWS, windowLabel } from "./metrics.js";
import type { PromptSpread } from "./per-prompt.js";
import { renderSvg } from "./plot.js";

/** What one decoding mode measured at one target. */
export interface ArmResult {
  /** Mode family: fixed, schedule, proxy, marginal, exact, mirostat. */
  mode: string;
  /** Label in tables and plots, e.g. "marginal n=4". */
  label: string;
  /** The mode's parameters, e.g. "T 0.818" or "τ 4.12 nats". */
  setting: string;
  /** Rows decoded together per episode (measured over the first `measuredRows`). */
  rows: number;
  rmse0To300: number;
  rmse0To1000: number;
  noiseFloor0To300: number;
  noiseFloor0To1000: number;
  /** Mean marginal entropy − target per window, nats. */
  windowBias: Record<string, number>;
  /** Mean conditional entropy (per-row exact entropy, averaged) per window, nats. */
  conditional: Record<string, number>;
  /** Mean temperature per window. */
  temperature: Record<string, number>;
  distinct2: Record<string, number>;
  distinct3: Record<string, number>;
  repeated4: Record<string, number>;
  /** Self-BLEU-4 across the rows of a full-length episode, averaged over those episodes. */
  selfBleu: number;
  /** Time in the controller's apply + accept per row-token, µs (the draw's softmax excluded). */
  controllerMicros: number;
  /** Standard error of each window's bias across the episodes covering it, nats (absent in runs before it was recorded). */
  windowSe?: Record<string, number>;
  /** What the run noticed about this arm (a fallback, an unreachable target). */
  note?: string;
  /** Per window, the median and the worst over prompts of each prompt's relative bias (absent in runs before it was recorded). */
  perPrompt?: Record<string, PromptSpread>;
  /**
   * Each episode's relative bias per window it reached (promptWindowBiases), in plan order:
   * episode i decoded held-out prompt i mod plan.prompts (absent in runs before it was recorded).
   */
  episodes?: Record<string, number>[];
}

export interface EvalResults {
  version: 1;
  command: string;
  commit: string;
  date: string;
  machine: string;
  seconds: number;
  /** dtype and fitted_on: absent in results written before weight variants (fp32, fitted on itself). */
  model: { name: string; id: string; dtype?: string; fitted_on?: string };
  plan: { measuredRows: number; marginalRows: number; tokens: number; full: number; short: number; shortTokens: number; prompts: number; seed: number };
  mirostat: { tuningTokens: number; tuningEpisodes: number; grid: { tau: number; mean: number }[] };
  targets: { target: number; arms: ArmResult[] }[];
  /** The held-out prompts, in plan order (absent in runs before it was recorded). */
  heldout?: string[];
  /** Said after the run about what it measured (e.g. that the files it evaluated were refit since); shown under the header. */
  notes?: string[];
}

/** One colour per mode family, the same in every plot. */
const COLORS: Record<string, string> = {
  fixed: "#999999",
  schedule: "#1f6fd1",
  schedule_open: "#17becf",
  proxy: "#2ca02c",
  "marginal n=4": "#9467bd",
  "marginal n=8": "#8c564b",
  exact: "#ff7f0e",
  mirostat: "#e377c2",
};

/** The plot colour of an arm's label ("fixed T=0.82" and "mirostat τ=3.4" by their family). */
export function modeColor(label: string): string {
  const family = label.startsWith("fixed") ? "fixed" : label.startsWith("mirostat") ? "mirostat" : label;
  return COLORS[family] ?? "#000000";
}

/**
 * Repeated 4-grams per window, one panel per target, one line per mode: rendered from the
 * results alone, so `npm run eval -- --render-only` redraws it with the README.
 */
export function renderRepetitionSvg(r: EvalResults): string {
  const windows = WINDOWS.filter((w) => w[0] < r.plan.tokens);
  const centres = windows.map((w) => Math.round((w[0] + Math.min(w[1], r.plan.tokens)) / 2));
  return renderSvg(
    r.targets.map(({ target, arms }) => ({
      title: `Repeated 4-grams per window at target ${target} nats (share already seen earlier in the row)`,
      xLabel: `window centre (log scale): ${windows.map((w, i) => `[${w[0]},${w[1]}) at ${centres[i]}`).join(", ")}`,
      yLabel: "share",
      xScale: "log1p" as const,
      xTicks: centres,
      series: arms.map((a) => ({ x: centres, y: windows.map((w) => a.repeated4[windowLabel(w)] ?? Number.NaN), label: a.label, color: modeColor(a.label) })),
    })),
  );
}

const f3 = (v: number | undefined): string => (v === undefined || !Number.isFinite(v) ? "–" : v.toFixed(3));
const f2 = (v: number | undefined): string => (v === undefined || !Number.isFinite(v) ? "–" : v.toFixed(2));
/** " ± 1.2": a standard error in % of the target, or nothing when the run did not record it. */
const plusMinus = (se: number | undefined, target: number): string => (se === undefined ? "" : ` ± ${((100 * se) / target).toFixed(1)}`);
/** A fraction as a signed percentage to 0.1, without the unit: "+1.2". */
const signed = (v: number): string => `${v >= 0 ? "+" : "-"}${Math.abs(100 * v).toFixed(1)}`;
const pct = (v: number): string => `${signed(v)} %`;
const row = (cells: readonly string[]): string => `| ${cells.join(" | ")} |`;
const header = (cells: readonly string[]): string => `${row(cells)}\n${row(cells.map(() => "---"))}`;
const windowNames = WINDOWS.map((w) => `[${w[0]},${w[1]})`);
const perWindow = (r: Record<string, number>, fmt: (v: number | undefined) => string): string => WINDOWS.map((w) => fmt(r[windowLabel(w)])).join(" / ");

/** Relative bias per window, and the windows missing the tolerance. */
export function windowMisses(arm: ArmResult, target: number): { window: string; relative: number; relativeSe?: number }[] {
  return WINDOWS.flatMap((w, i) => {
    const bias = arm.windowBias[windowLabel(w)];
    if (bias === undefined) return [];
    const relative = bias / target;
    const se = arm.windowSe?.[windowLabel(w)];
    return Math.abs(relative) > TOLERANCE ? [{ window: windowNames[i]!, relative, ...(se === undefined ? {} : { relativeSe: se / target }) }] : [];
  });
}

/** One sentence per mode family: where it held every window within the tolerance and where not. */
export function answers(results: EvalResults): string[] {
  const labels = [...new Set(results.targets.flatMap((t) => t.arms.map((a) => a.label.replace(/ T=.*$| τ=.*$/, ""))))];
  return labels.map((label) => {
    const held: string[] = [];
    const missed: string[] = [];
    for (const { target, arms } of results.targets) {
      const arm = arms.find((a) => a.label.replace(/ T=.*$| τ=.*$/, "") === label);
      if (!arm) continue;
      const misses = windowMisses(arm, target);
      if (misses.length === 0) held.push(String(target));
      else missed.push(`${target} (${misses.map((m) => `${m.window} ${pct(m.relative)}${plusMinus(m.relativeSe, 1)}`).join(", ")})`);
    }
    const yes = held.length > 0 ? `held every window within ${100 * TOLERANCE} % at ${held.join(", ")}` : `held every window within ${100 * TOLERANCE} % at no target`;
    return `- **${label}**: ${yes}${missed.length > 0 ? `; missed at ${missed.join("; ")}` : ""}.${promptAnswer(results, label)}`;
  });
}

/**
 * The project README quotes each committed report's answers between `<!-- answers: DIR -->` and
 * `<!-- /answers -->`, DIR the report's folder: rendered from DIR/results.json by the eval (and
 * held equal by a test), so the README's claims about a report are that report's own words.
 */
// The body is optional: a block added empty (how a new report is first quoted) must not run on to the next block's end.
const ANSWERS_BLOCK = /<!-- answers: (\S+) -->\n(?:[\s\S]*?\n)??<!-- \/answers -->/g;

/** The report folders `readme` quotes answers from, in order. */
export function quotedReports(readme: string): string[] {
  return [...readme.matchAll(ANSWERS_BLOCK)].map((m) => m[1]!);
}

/** `readme` with the answers quoted from `dir` (if it quotes them) rendered from `results`. */
export function withAnswersQuoted(readme: string, dir: string, results: EvalResults): string {
  return readme.replace(ANSWERS_BLOCK, (block, quoted: string) => (quoted === dir ? `<!-- answers: ${dir} -->\n${answers(results).join("\n")}\n<!-- /answers -->` : block));
}

/** Windows where the worst prompt misses the per-prompt tolerance. */
export function promptMisses(arm: ArmResult): { window: string; worst: number }[] {
  return WINDOWS.flatMap((w, i) => {
    const spread = arm.perPrompt?.[windowLabel(w)];
    return spread && Math.abs(spread.worst) > PROMPT_TOLERANCE ? [{ window: windowNames[i]!, worst: spread.worst }] : [];
  });
}

/** " Per prompt: …" — where the worst prompt held every window within the per-prompt tolerance; "" for runs without it. */
function promptAnswer(results: EvalResults, label: string): string {
  const held: string[] = [];
  const missed: string[] = [];
  for (const { target, arms } of results.targets) {
    const arm = arms.find((a) => a.label.replace(/ T=.*$| τ=.*$/, "") === label);
    if (!arm?.perPrompt) continue;
    const misses = promptMisses(arm);
    if (misses.length === 0) held.push(String(target));
    else missed.push(`${target} (worst ${misses.map((m) => `${m.window} ${pct(m.worst)}`).join(", ")})`);
  }
  if (held.length + missed.length === 0) return "";
  const yes = held.length > 0 ? `every prompt within ${100 * PROMPT_TOLERANCE} % in every window at ${held.join(", ")}` : `no target with every prompt within ${100 * PROMPT_TOLERANCE} %`;
  return ` Per prompt: ${yes}${missed.length > 0 ? `; not at ${missed.join("; ")}` : ""}.`;
}

function promptTable(arms: readonly ArmResult[]): string {
  const lines = [header(["mode", ...windowNames.map((w) => `${w} median / worst prompt`)])];
  for (const a of arms) {
    if (!a.perPrompt) continue;
    lines.push(
      row([
        a.label,
        ...WINDOWS.map((w) => {
          const s = a.perPrompt![windowLabel(w)];
          if (!s) return "–";
          return s.seedSd === undefined
            ? `${pct(s.median)} / ${pct(s.worst)} (${s.prompts})`
            : `${pct(s.median)} / ${pct(s.worst)} (${s.prompts}; ${s.episodes} episodes, seed SD ${pct(s.seedSd).replace(/^\+/, "")})`;
        }),
      ]),
    );
  }
  return lines.length > 1 ? lines.join("\n") : "";
}

/**
 * One row per episode (its prompt, numbered in plan order, and its seed when prompts repeat), one
 * column per arm: each window's bias in % of the target, misses of the per-prompt tolerance in bold.
 */
function episodeTable(arms: readonly ArmResult[], heldout: readonly string[] | undefined, plan: EvalResults["plan"]): string {
  const { prompts } = plan;
  const mine = arms.filter((a) => a.episodes);
  const count = Math.max(0, ...mine.map((a) => a.episodes!.length));
  if (count === 0) return "";
  const cell = (b: Record<string, number> | undefined): string =>
    b === undefined
      ? "–"
      : WINDOWS.filter((w) => b[windowLabel(w)] !== undefined)
          .map((w) => {
            const v = b[windowLabel(w)]!;
            const text = signed(v);
            return Math.abs(v) > PROMPT_TOLERANCE ? `**${text}**` : text;
          })
          .join(" / ");
  const name = (i: number): string => {
    const k = i % prompts;
    const text = heldout?.[k];
    const seed = count > prompts ? `, seed ${plan.seed + i}` : "";
    return `${k + 1}${text === undefined ? "" : ` “${text.length > 32 ? `${text.slice(0, 31)}…` : text}”`}${seed}`;
  };
  const lines = [header(["prompt", ...mine.map((a) => a.label)])];
  for (let i = 0; i < count; i++) lines.push(row([name(i), ...mine.map((a) => cell(a.episodes![i]))]));
  return lines.join("\n");
}

function entropyTable(target: number, arms: readonly ArmResult[]): string {
  const lines = [
    header(["mode", "setting", ...windowNames.map((w) => `bias ${w}`), "RMSE [0,300) / floor", "RMSE [0,1000) / floor", "cond. H per window", "mean T per window", "controller µs/token"]),
  ];
  for (const a of arms) {
    lines.push(
      row([
        a.label,
        a.setting,
        ...WINDOWS.map((w) => {
          const b = a.windowBias[windowLabel(w)];
          return b === undefined ? "–" : `${b >= 0 ? "+" : ""}${b.toFixed(3)} (${pct(b / target)}${plusMinus(a.windowSe?.[windowLabel(w)], target)})`;
        }),
        `${f3(a.rmse0To300)} / ${f3(a.noiseFloor0To300)}`,
        `${f3(a.rmse0To1000)} / ${f3(a.noiseFloor0To1000)}`,
        perWindow(a.conditional, f2),
        perWindow(a.temperature, f2),
        a.controllerMicros.toFixed(1),
      ]),
    );
  }
  return lines.join("\n");
}

function textTable(arms: readonly ArmResult[]): string {
  const lines = [header(["mode", "distinct-2 per window", "distinct-3 per window", "repeated 4-grams per window", "self-BLEU-4"])];
  for (const a of arms) lines.push(row([a.label, perWindow(a.distinct2, f2), perWindow(a.distinct3, f2), perWindow(a.repeated4, f2), f3(a.selfBleu)]));
  return lines.join("\n");
}

/** The README text. */
export function renderEvalReport(r: EvalResults): string {
  const p = r.plan;
  const hasSe = r.targets.some(({ arms }) => arms.some((a) => a.windowSe !== undefined));
  // Episodes per prompt: makePlan cycles the held-out prompts, seed + i for episode i.
  const repeats = Math.floor((p.full + p.short) / Math.max(1, p.prompts));
  const notes = r.targets.flatMap(({ target, arms }) => arms.filter((a) => a.note).map((a) => `- target ${target}, ${a.label}: ${a.note}`));
  const sections = r.targets.map(({ target, arms }) =>
    [
      `### Target ${target} nats`,
      "",
      `![marginal entropy and temperature per mode at target ${target}](target-${target}.svg)`,
      "",
      entropyTable(target, arms),
      "",
      ...(arms.some((a) => a.perPrompt)
        ? [
            `Per prompt (each held-out prompt's window bias in % of the target${repeats > 1 ? `, the mean over its ${repeats} episodes on different seeds` : ""}; median and worst over the prompts that reach the window, their count in brackets${repeats > 1 ? ", with the seed-to-seed standard deviation of one episode's bias about its prompt's mean" : ""}):`,
            "",
            promptTable(arms),
            "",
          ]
        : []),
      ...(arms.some((a) => a.episodes)
        ? [
            `Each prompt (its window biases in % of the target, ${windowNames.join(" / ")} as far as its episode reached; beyond ${100 * PROMPT_TOLERANCE} % in bold):`,
            "",
            episodeTable(arms, r.heldout, r.plan),
            "",
          ]
        : []),
      textTable(arms),
    ].join("\n"),
  );
  return [
    `# Evaluation: marginal entropy over ${p.tokens} tokens, every mode side by side`,
    "",
    "Generated by `npm run eval` (src/cli/eval.ts) from [results.json](results.json); do not edit by hand.",
    "",
    `- Command: \`${r.command}\``,
    `- Commit: \`${r.commit}\`; generated ${r.date} in ${Math.round(r.seconds)} s`,
    `- Machine: ${r.machine}`,
    `- Model: ${r.model.name} (id \`${r.model.id}\`${r.model.dtype && r.model.dtype !== "fp32" ? `, the ${r.model.dtype} variant, on the fits of \`${r.model.fitted_on}\`` : ""})`,
    ...(r.notes ?? []).map((n) => `\n> **Note:** ${n}`),
    "",
    "## Method",
    "",
    `Every mode decodes the same held-out prompts (never seen by the fitter) with the same seeds: ${p.full} full-length episode(s) of ${p.tokens} tokens${p.short > 0 ? ` and ${p.short} of ${p.shortTokens} tokens` : ""}, ${repeats > 1 ? `cycling over ${p.prompts} prompts, so each prompt runs ${repeats}${(p.full + p.short) % p.prompts > 0 ? " or more" : ""} times on different seeds` : `each on its own prompt (${p.prompts} prompts)`}, B = ${p.measuredRows} continuations per episode. The marginal entropy H(p̄_t) at position t is measured over those ${p.measuredRows} rows' temperature-scaled distributions (what was actually sampled from); ${p.short > 0 ? `each position pools the episodes that reach it, so the first ${p.shortTokens} positions rest on ${p.full + p.short} prompts and the rest on ${p.full}` : `each position pools the ${p.full} episodes`}. Bias is the window mean of (H − target)${hasSe ? ", in % of the target ± its standard error across the episodes covering the window (each its own prompt: a position-only schedule cannot follow one prompt's drift, so this spread is what a few prompts can tell)" : ""}; RMSE is per position against the target; the floor is the bootstrap spread that B-row sampling alone gives (rows resampled with replacement). Conditional entropy is each row's own exact entropy, averaged.`,
    "",
    ...modeLines(r),
    "- Repetition: distinct-n is unique / all n-grams inside the window, per row; repeated 4-grams is the share of the window's 4-grams already seen earlier in the same row; self-BLEU-4 compares each full-length row with the other rows of its episode (1 = copies). Text metrics come from the full-length episodes.",
    "- Controller µs/token is the time in the mode's apply + accept per row-token, measured in this run; the softmax the draw computes for every mode is not included. Model step cost and loop overhead are in [../bench.md](../bench.md).",
    "",
    "## Answers",
    "",
    `Does each mode hold every window's mean marginal entropy within ${100 * TOLERANCE} % of the target, including the first ten tokens?`,
    "",
    ...answers(r),
    ...(notes.length > 0 ? ["", "Notes from the run:", "", ...notes] : []),
    "",
    "## Per target",
    "",
    "Each target's plot shows marginal entropy and mean temperature against position for every mode; repetition per window for every target is in one plot:",
    "",
    "![repeated 4-grams per window, every mode and target](repetition.svg)",
    "",
    sections.join("\n\n"),
    "",
  ].join("\n");
}

/** The method's description of each mode that ran (a run with --modes lists only its own). */
function modeLines(r: EvalResults): string[] {
  const ran = new Set(r.targets.flatMap((t) => t.arms.map((a) => a.mode)));
  const scaled = r.targets.some((t) => t.arms.some((a) => a.mode === "marginal" && a.setting.includes("scaled")));
  const p = r.plan;
  const lines: [modes: string[], line: string][] = [
    [["fixed"], "- `fixed`: the one temperature whose mean marginal entropy over 1000 tokens matched the target when the schedule was fitted (`baseline.temperature` in its file)."],
    [
      ["schedule"],
      "- `schedule`: the shipped fitted schedule for the target, seeing the prompt (each row's T solved exactly over the first 10 positions — for the target from the prompt's logits at t = 0, for target − offset(t) after — then each row's exact entropy corrects the fitted T towards target − offset(t)).",
    ],
    [["schedule_open"], "- `schedule_open`: the plain fitted T(t), open loop."],
    [
      ["proxy"],
      "- `proxy`: 30 independent sequences (n = 1 each; one per row), each steering its own T from the calibrated logit statistic towards target − offset(t), solved exactly over its first 10 positions and the table's error there carried on as the correction.",
    ],
    [
      ["exact"],
      "- `exact`: each row's T solved exactly over the first 10 positions, then per-row feedback on each row's exact entropy towards target − offset(t) (a conditional target where the calibration has no offset, as the arm's setting says).",
    ],
    [
      ["marginal"],
      `- \`marginal n=k\`: ${p.marginalRows} rows as ${p.marginalRows}/k independent requests of n = k decoded in one batch (each group's controller sees only its rows); the marginal is measured over the first ${p.measuredRows} rows like every other mode. Each request solves its batch's one T exactly for its k-row marginal at target − gap_k(t) over the first 10 positions (at t = 0 every row shares the prompt, so the marginal is one row's entropy), then feedback. With a fitted 30-row gap (the arm's setting says) each request aims its own k-row marginal at target − gap_k(t), so that ${p.measuredRows} such continuations hold the target; without one it holds the marginal of its own k rows and reads high on this ${p.measuredRows}-row scale (mixing more continuations adds entropy, concavity of H).${scaled ? " The gap is scaled by each batch's own divergence (its k-row marginal minus its rows' mean conditional entropy, against the fitted 30-row − 1-row offset less gap_k(t)), so a prompt whose continuations diverge faster than most aims lower." : ""}`,
    ],
    [
      ["mirostat"],
      `- \`mirostat\`: Mirostat v2 (Basu et al. 2021) at T = 1, η = 0.1, with τ interpolated on a grid so that its mean marginal entropy matches the target on the fitting prompts (${r.mirostat.tuningEpisodes} episodes of ${r.mirostat.tuningTokens} tokens per τ): ${r.mirostat.grid.map((g) => `τ ${g.tau} → ${g.mean.toFixed(2)}`).join(", ")} nats.`,
    ],
  ];
  return lines.filter(([modes]) => modes.some((m) => ran.has(m))).map(([, line]) => line);
}
