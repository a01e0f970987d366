/** `npm run generate`'s command line: the option table. */
import { MODES } from "../decode/plan.js";
import { type CommandSpec, choice, int, num, type OptionTable, text, type Values } from "./args.js";

export const GENERATE_COMMAND = {
  name: "generate",
  summary: "Generate from the command line on onnxruntime-node and print the text of every row and the mean temperature and entropy per window of positions.",
  examples: ['npm run generate -- --prompt "And it came to pass" --mode exact --target 3 --n 4 --seed 7 --tokens 200'],
  options: {
    model: text("models/kjv-gpt2-4m", "model directory (Hugging Face layout)", "DIR"),
    prompt: text("And it came to pass", "prompt text"),
    mode: choice("exact", MODES, "entropy mode"),
    target: num(undefined, "entropy target, nats (every mode but fixed)"),
    temperature: num(1, "temperature of mode fixed (0 = greedy)"),
    gain: num(undefined, "controller gain, log T per nat (default: the mode's own)"),
    n: int(1, "rows generated together"),
    seed: int(undefined, "seed of the draw (default: random, printed)", 0),
    tokens: int(100, "tokens per row"),
    schedules: text("schedules", "directory of fitted schedules and calibrations", "DIR"),
  },
} satisfies CommandSpec<OptionTable>;

export type GenerateValues = Values<typeof GENERATE_COMMAND.options>;
