/** `npm run bench`'s command line: the option table (the sections it can skip among them). */
import { type CommandSpec, flag, int, names, type OptionTable, text, type Values } from "./args.js";

export const SECTIONS = ["loop", "controller", "probe", "statistic", "transformers", "batch", "variant", "workerd"] as const;
export type Section = (typeof SECTIONS)[number];

export const BENCH_COMMAND = {
  name: "bench",
  summary:
    "Ratios measured in one run, interleaved to cancel machine drift: the decode loop against bare onnxruntime, isentropic against transformers.js, controller cost, the proxy statistic, batch scaling, the q8 weight variant against fp32, and the Worker in workerd against Node. Prints the tables and writes docs/bench.md.",
  examples: ["npm run bench -- --quick", "npm run bench -- --check", "npm run bench -- --skip workerd,transformers"],
  options: {
    model: text("models/kjv-gpt2-4m", "model directory (Hugging Face layout)", "DIR"),
    prompt: text("And it came to pass", "prompt every generation starts from"),
    tokens: int(64, "new tokens per row", 2),
    rounds: int(undefined, "rounds per ratio (default: 20, or 3 with --quick)"),
    seed: int(7, "seed of the draws", 0),
    quick: flag("fewer rounds; prints only, unless --out is given"),
    check: flag("exit 1 when a ratio is outside the bands the README promises"),
    out: text(undefined, "file the report goes to (default: docs/bench.md, none with --quick)", "FILE"),
    skip: names(SECTIONS, "sections to skip"),
  },
} satisfies CommandSpec<OptionTable>;

export type BenchValues = Values<typeof BENCH_COMMAND.options>;
