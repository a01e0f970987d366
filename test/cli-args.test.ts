import { describe, expect, it } from "vitest";
import { type CommandSpec, choice, flag, int, intArg, list, listArg, names, num, type OptionTable, parseCommandLine, text, UsageError, usageText } from "../src/cli/args.js";
import { BENCH_COMMAND } from "../src/cli/bench-options.js";
import { EVAL_COMMAND } from "../src/cli/eval-options.js";
import { FIT_COMMAND } from "../src/cli/fit-options.js";
import { GENERATE_COMMAND } from "../src/cli/generate-options.js";

const spec = {
  name: "demo",
  summary: "A demo command.",
  examples: ["npm run demo -- --n 3"],
  options: {
    n: int(2, "how many"),
    seed: int(undefined, "seed", 0),
    x: num(0.5, "a number", true),
    targets: list("3,5", "targets"),
    path: text(undefined, "a path", "FILE"),
    method: choice("sa", ["sa", "optimize"], "method"),
    skip: names(["a", "b"], "skipped"),
    quick: flag("go fast"),
    calibration: flag("calibrate", true),
  },
} satisfies CommandSpec<OptionTable>;

/** The UsageError `argv` throws. */
function usageError(argv: string[]): UsageError {
  try {
    parseCommandLine(spec, argv);
  } catch (e) {
    if (e instanceof UsageError) return e;
    throw e;
  }
  throw new Error(`no UsageError for ${argv.join(" ")}`);
}

describe("CLI option parsing", () => {
  it("reads integers and lists, and names the flag when a value is bad", () => {
    expect(intArg("batch", "30")).toBe(30);
    expect(intArg("seed", "0", 0)).toBe(0);
    expect(() => intArg("batch", "0")).toThrow('--batch must be a positive integer, got "0"');
    expect(() => intArg("seed", "-1", 0)).toThrow('--seed must be a non-negative integer, got "-1"');
    expect(() => intArg("batch", "2.5")).toThrow(/--batch/);
    expect(() => intArg("batch", "")).toThrow(/--batch/);
    expect(() => intArg("batch", undefined)).toThrow(/--batch/);
    expect(listArg("targets", "3.5, 5,6.5")).toEqual([3.5, 5, 6.5]);
    expect(() => listArg("targets", "")).toThrow('--targets must be a comma-separated list of positive numbers, got ""');
    expect(() => listArg("targets", "3,-1")).toThrow(/--targets/);
    expect(() => listArg("targets", "3,x")).toThrow(/--targets/);
  });

  it("gives every option its default when the command line is empty", () => {
    expect(parseCommandLine(spec, [])).toEqual({
      help: false,
      values: { n: 2, seed: undefined, x: 0.5, targets: [3, 5], path: undefined, method: "sa", skip: [], quick: false, calibration: true },
    });
  });

  it("reads every kind of value, --no- for a switch that defaults to on, and --name=value", () => {
    const line = parseCommandLine(spec, ["--n", "4", "--seed=0", "--x", "2.5", "--targets", "1,2", "--path", "a b", "--method", "optimize", "--skip", "b,a", "--quick", "--no-calibration"]);
    expect(line).toEqual({ help: false, values: { n: 4, seed: 0, x: 2.5, targets: [1, 2], path: "a b", method: "optimize", skip: ["b", "a"], quick: true, calibration: false } });
  });

  it("asks for help with --help or -h, whatever else is there", () => {
    expect(parseCommandLine(spec, ["--help"])).toEqual({ help: true });
    expect(parseCommandLine(spec, ["-h", "--n", "3"])).toEqual({ help: true });
  });

  it.each([
    [["--bogus"], "bogus", "unknown option --bogus (see --help)"],
    [["--n", "x"], "n", '--n must be a positive integer, got "x"'],
    [["--n", "0"], "n", '--n must be a positive integer, got "0"'],
    [["--n"], "n", "--n needs a value"],
    [["--quick=yes"], "quick", "--quick takes no value"],
    [["--x", "0"], "x", '--x must be a positive number, got "0"'],
    [["--x", ""], "x", '--x must be a positive number, got ""'],
    [["--targets", "3,-1"], "targets", '--targets must be a comma-separated list of positive numbers, got "3,-1"'],
    [["--method", "grid"], "method", '--method must be one of sa, optimize, got "grid"'],
    [["--skip", "a,c"], "skip", '--skip takes a comma-separated list of a, b, got "c"'],
    [["stray"], undefined, "unexpected argument stray (options start with --; see --help)"],
  ])("rejects %j with one line naming the flag", (argv, option, message) => {
    const e = usageError(argv);
    expect(e.option).toBe(option);
    expect(e.message).toBe(message);
    expect(e.message).not.toContain("\n");
  });

  it("renders usage from the table: every option, its placeholder and its default", () => {
    const help = usageText(spec);
    expect(help.split("\n").slice(0, 3)).toEqual(["Usage: npm run demo -- [options]", "", "A demo command."]);
    expect(help).toContain("  npm run demo -- --n 3");
    expect(help).toMatch(/--n N +how many \(default: 2\)\n/);
    expect(help).toMatch(/--seed N +seed\n/);
    expect(help).toMatch(/--method sa\|optimize +method \(default: sa\)\n/);
    expect(help).toMatch(/--path FILE +a path\n/);
    expect(help).toMatch(/--quick +go fast\n/);
    expect(help).toMatch(/--\[no-\]calibration +calibrate \(default: on\)\n/);
    expect(help).toMatch(/-h, --help +print this help and exit\n$/);
  });
});

describe("the CLIs' option tables", () => {
  const commands = [GENERATE_COMMAND, FIT_COMMAND, EVAL_COMMAND, BENCH_COMMAND] as CommandSpec<OptionTable>[];

  it.each(commands.map((c) => [c.name, c] as const))("%s: --help lists every option with its default, and the defaults parse", (_, command) => {
    const help = usageText(command);
    for (const [name, option] of Object.entries(command.options)) {
      const line = help.split("\n").find((l) => l.startsWith(`  --${name} `) || l.startsWith(`  --[no-]${name} `));
      expect(line, `--${name}`).toBeDefined();
      expect(line).toContain(option.description);
      if (typeof option.default === "string" && option.default !== "") expect(line).toContain(`(default: ${option.default})`);
    }
    expect(() => parseCommandLine(command, [])).not.toThrow();
  });

  it("keeps the defaults the README and the shipped files were made with", () => {
    const fit = parseCommandLine(FIT_COMMAND, []);
    expect(fit.help === false && fit.values).toMatchObject({
      model: "models/kjv-gpt2-4m",
      batch: 30,
      tokens: 1000,
      window: 300,
      seed: 1,
      method: "sa",
      sweep: [0.5, 0.7, 1, 1.4, 2],
      calibration: true,
      gains: [0.03, 0.1, 0.3],
    });
    const evaluation = parseCommandLine(EVAL_COMMAND, []);
    expect(evaluation.help === false && evaluation.values).toMatchObject({ targets: [3.5, 5, 6.5], tokens: 1000, full: 2, short: 8, seed: 7, out: "docs/eval", modes: [] });
    const some = parseCommandLine(EVAL_COMMAND, ["--modes", "proxy,marginal"]);
    expect(some.help === false && some.values.modes).toEqual(["proxy", "marginal"]);
    expect(() => parseCommandLine(EVAL_COMMAND, ["--modes", "proxy,greedy"])).toThrow(/--modes takes a comma-separated list of fixed, schedule, .*got "greedy"/);
    const bench = parseCommandLine(BENCH_COMMAND, []);
    expect(bench.help === false && bench.values).toMatchObject({ tokens: 64, rounds: undefined, seed: 7, quick: false, skip: [] });
    const generate = parseCommandLine(GENERATE_COMMAND, []);
    expect(generate.help === false && generate.values).toMatchObject({ mode: "exact", n: 1, tokens: 100, temperature: 1, seed: undefined });
  });
});
