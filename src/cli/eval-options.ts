/** `npm run eval`'s command line: the option table, and the checked options it reads to. */
import { MODEL_DTYPES, type ModelDtype } from "../model/dtype.js";
import { type CommandSpec, choice, flag, int, list, names, type OptionTable, text, type Values } from "./args.js";
import { EVAL_MODES, type EvalMode } from "./eval-arms.js";

export const EVAL_COMMAND = {
  name: "eval",
  summary: "Every decoding mode on the same held-out prompts and seeds, B = 30 continuations, at several targets; writes results.json, README.md and the plots into --out.",
  examples: ["npm run eval -- --targets 3.5,5,6.5 --full 2 --short 8", "npm run eval -- --render-only"],
  options: {
    model: text("models/kjv-gpt2-4m", "model directory (Hugging Face layout)", "DIR"),
    dtype: choice("fp32", Object.keys(MODEL_DTYPES) as ModelDtype[], "which ONNX file of it (a variant uses its export's fits where variants.json allows)"),
    schedules: text("schedules", "directory of fitted schedules and calibrations", "DIR"),
    prompts: text("schedules/prompts.txt", "prompts; the held-out ones are evaluated", "FILE"),
    targets: list("3.5,5,6.5", "target marginal entropies, nats (each within the fitted targets; between two, fixed T is interpolated in log T)"),
    tokens: int(1000, "tokens per full-length episode"),
    full: int(2, "full-length episodes per mode"),
    short: int(8, "short episodes per mode", 0),
    "short-tokens": int(50, "tokens of a short episode"),
    modes: names(EVAL_MODES, "modes to run; all when absent"),
    seed: int(7, "first seed of the plan", 0),
    "mirostat-taus": list("0.5,1,2,3,4.5,8", "Mirostat τ grid matched to each target, nats"),
    "mirostat-tokens": int(200, "tokens per episode of the τ grid"),
    sessions: int(2, "model sessions decoding side by side (one intra-op thread each)"),
    out: text("docs/eval", "directory the report goes to", "DIR"),
    resume: flag("continue the run stopped in --out/.partial/ (same options; src, models and fits unchanged since its commit); each finished episode is saved there as it ends"),
    "render-only": flag("re-render README.md and repetition.svg from the results.json in --out; runs nothing"),
  },
} satisfies CommandSpec<OptionTable>;

/** What `npm run eval` was asked to do, checked. */
export interface EvalOptions {
  readonly renderOnly: boolean;
  /** Continue the stopped run saved in `out`/.partial/. */
  readonly resume: boolean;
  readonly model: string;
  readonly dtype: ModelDtype;
  readonly schedules: string;
  readonly prompts: string;
  readonly targets: readonly number[];
  readonly tokens: number;
  readonly full: number;
  readonly short: number;
  readonly shortTokens: number;
  readonly seed: number;
  /** The modes to run; empty for all. */
  readonly modes: readonly EvalMode[];
  /** Mirostat τ grid, ascending. */
  readonly taus: readonly number[];
  readonly tuningTokens: number;
  readonly sessions: number;
  readonly out: string;
  /** The command line as typed, recorded in results.json. */
  readonly command: string;
}

/** The checked options; `argv` is what was typed after `npm run eval --`. */
export function evalOptions(v: Values<typeof EVAL_COMMAND.options>, argv: readonly string[]): EvalOptions {
  return {
    renderOnly: v["render-only"],
    resume: v.resume,
    model: v.model,
    dtype: v.dtype,
    schedules: v.schedules,
    prompts: v.prompts,
    targets: v.targets,
    tokens: v.tokens,
    full: v.full,
    short: v.short,
    shortTokens: v["short-tokens"],
    seed: v.seed,
    modes: v.modes,
    taus: [...v["mirostat-taus"]].sort((a, b) => a - b),
    tuningTokens: v["mirostat-tokens"],
    sessions: v.sessions,
    out: v.out,
    command: `npm run eval -- ${argv.join(" ")}`.trim().replace(/ --$/, ""),
  };
}
