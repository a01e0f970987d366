/** `npm run fit`'s command line: the option table, and the checked options it reads to. */
import { type CommandSpec, choice, flag, int, list, type OptionTable, text, UsageError, type Values } from "./args.js";

export const FIT_COMMAND = {
  name: "fit",
  summary:
    "Fit temperature schedules and the proxy calibration of a model offline, and write them where the Worker and the Node server load them (schedules/<model-id>/), then regenerate the schedules README.",
  examples: [
    "npm run fit -- --targets 3.5,5 --batch 30 --tokens 1000 --window 300 --seed 1",
    "npm run fit -- --calibration-only",
    "npm run fit -- --gaps-only --fit-full 2 --fit-mid 6 --fit-short 0 --seed 500",
    "npm run fit -- --readme-only",
  ],
  options: {
    model: text("models/kjv-gpt2-4m", "model directory (Hugging Face layout)", "DIR"),
    targets: list(undefined, "target marginal entropies, nats (required unless --calibration-only, --gaps-only or --readme-only)"),
    batch: int(30, "rows per rollout (B)"),
    tokens: int(1000, "tokens per full-length rollout (N)"),
    window: int(300, "positions of a window-length episode"),
    prompts: text("schedules/prompts.txt", "fitting and held-out prompts", "FILE"),
    seed: int(1, "first seed of the fitting plan (held-out seeds start 1 000 000 later)", 0),
    method: choice("sa", ["sa", "optimize"], "fitting method"),
    out: text(undefined, "directory the files go to (default: schedules/<model-id>)", "DIR"),
    compare: flag("write the schedules into <out>/<method>/ for the README's side-by-side, and skip the calibration"),
    "readme-only": flag("regenerate the README from the files on disk and fit nothing"),
    "calibration-only": flag("fit only the calibration, against the schedules already on disk"),
    "gaps-only": flag("measure the per-target offsets and k-row marginal gaps on the fitting plan under the schedules on disk, and add them to calibration.json"),
    readme: text("schedules/README.md", "README to regenerate", "FILE"),
    sweep: list("0.5,0.7,1,1.4,2", "fixed temperatures of the sweep"),
    "sweep-full": int(1, "full-length episodes per sweep temperature (at most --fit-full)", 0),
    iterations: int(undefined, "sa: measurements (default 4); optimize: objective evaluations (default 40)"),
    "full-iterations": int(1, "sa: how many of the last measurements run to full length"),
    sessions: int(2, "model sessions decoding side by side (one intra-op thread each)"),
    "fit-full": int(2, "fitting plan: full-length episodes"),
    "fit-mid": int(2, "fitting plan: window-length episodes", 0),
    "fit-short": int(8, "fitting plan: short episodes", 0),
    "eval-full": int(2, "held-out plan: full-length episodes"),
    "eval-mid": int(4, "held-out plan: window-length episodes", 0),
    "eval-short": int(16, "held-out plan: short episodes", 0),
    "short-tokens": int(50, "tokens of a short episode"),
    calibration: flag("fit the proxy calibration after the schedules", true),
    gains: list("0.03,0.1,0.3", "proxy gains tried, log T per nat"),
  },
} satisfies CommandSpec<OptionTable>;

/** Episodes of a plan by length (see fit-runner.ts). */
export interface PlanCounts {
  full: number;
  mid: number;
  short: number;
}

/** What `npm run fit` was asked to do, checked. */
export interface FitOptions {
  /**
   * `readme` regenerates the README only; `calibration` fits the calibration against the
   * schedules on disk; `gaps` adds the per-target offsets and k-row gaps to the calibration on disk.
   */
  readonly task: "all" | "calibration" | "gaps" | "readme";
  readonly model: string;
  /** Targets to fit, in the order given; empty for the calibration and README tasks (the calibration takes its targets from the schedules on disk). */
  readonly targets: readonly number[];
  readonly rows: number;
  readonly tokens: number;
  readonly window: number;
  readonly prompts: string;
  readonly seed: number;
  readonly method: "sa" | "optimize";
  readonly iterations: number;
  readonly fullIterations: number;
  /** Output directory; undefined for schedules/<model-id>. */
  readonly out: string | undefined;
  readonly compare: boolean;
  readonly readme: string;
  /** Sweep temperatures, ascending. */
  readonly sweep: readonly number[];
  readonly sweepFull: number;
  readonly sessions: number;
  readonly fitPlan: PlanCounts;
  readonly evalPlan: PlanCounts;
  readonly shortTokens: number;
  /** Whether the calibration is fitted after the schedules (never with --compare). */
  readonly calibration: boolean;
  readonly gains: readonly number[];
}

/** The checked options; throws a UsageError for a combination the table alone cannot catch. */
export function fitOptions(v: Values<typeof FIT_COMMAND.options>): FitOptions {
  const task = v["readme-only"] ? "readme" : v["calibration-only"] ? "calibration" : v["gaps-only"] ? "gaps" : "all";
  if (task === "all" && v.targets === undefined) throw new UsageError("targets", "--targets is required (or --calibration-only, --gaps-only, --readme-only)");
  return {
    task,
    model: v.model,
    targets: task === "all" ? v.targets! : [],
    rows: v.batch,
    tokens: v.tokens,
    window: v.window,
    prompts: v.prompts,
    seed: v.seed,
    method: v.method,
    iterations: v.iterations ?? (v.method === "sa" ? 4 : 40),
    fullIterations: v["full-iterations"],
    out: v.out,
    compare: v.compare,
    readme: v.readme,
    sweep: [...v.sweep].sort((a, b) => a - b),
    sweepFull: v["sweep-full"],
    sessions: v.sessions,
    fitPlan: { full: v["fit-full"], mid: v["fit-mid"], short: v["fit-short"] },
    evalPlan: { full: v["eval-full"], mid: v["eval-mid"], short: v["eval-short"] },
    shortTokens: v["short-tokens"],
    calibration: task === "calibration" || (v.calibration && !v.compare),
    gains: v.gains,
  };
}
