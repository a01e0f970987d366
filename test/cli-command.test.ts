/** The frame every CLI entry runs in: --help, one-line errors, exit codes (the entries themselves: cli-entries.test.ts). */
import { describe, expect, it } from "vitest";
import { type CommandSpec, flag, int, type OptionTable } from "../src/cli/args.js";
import { type CommandIo, runCommand } from "../src/cli/command.js";

const spec = { name: "demo", summary: "A demo.", options: { n: int(2, "how many"), loud: flag("shout") } } satisfies CommandSpec<OptionTable>;

function fakeIo(argv: string[], env: Record<string, string> = {}): CommandIo & { out: string; err: string } {
  const io = {
    argv,
    env,
    out: "",
    err: "",
    stdout: (text: string) => {
      io.out += text;
    },
    stderr: (text: string) => {
      io.err += text;
    },
  };
  return io;
}

describe("runCommand", () => {
  it("runs main with the parsed values and returns its exit code, 0 when it returns nothing", async () => {
    const seen: unknown[] = [];
    expect(await runCommand(spec, async (v) => void seen.push(v), { io: fakeIo(["--n", "5", "--loud"]) })).toBe(0);
    expect(seen).toEqual([{ n: 5, loud: true }]);
    expect(await runCommand(spec, async () => 1, { io: fakeIo([]) })).toBe(1);
  });

  it("prints usage on --help to stdout and exits 0 without running", async () => {
    const io = fakeIo(["--help"]);
    let ran = false;
    const main = async () => {
      ran = true;
      return undefined;
    };
    expect(await runCommand(spec, main, { io })).toBe(0);
    expect(ran).toBe(false);
    expect(io.out).toMatch(/^Usage: npm run demo -- \[options\]\n/);
    expect(io.err).toBe("");
  });

  it("answers a bad flag or value with one line on stderr and exit 2, before running", async () => {
    for (const argv of [["--bogus"], ["--n", "x"], ["--loud=1"]]) {
      const io = fakeIo(argv);
      let ran = false;
      const main = async () => {
        ran = true;
        return undefined;
      };
      expect(await runCommand(spec, main, { io })).toBe(2);
      expect(ran).toBe(false);
      expect(io.err).toMatch(/^demo: [^\n]+\n$/);
      expect(io.out).toBe("");
    }
  });

  it("answers an error during the run with one line and exit 1, the stack only with DEBUG", async () => {
    const fail = async () => {
      throw new Error("model dir missing\nsecond line");
    };
    const io = fakeIo([]);
    expect(await runCommand(spec, fail, { io })).toBe(1);
    expect(io.err).toBe("demo: model dir missing\n");
    const debug = fakeIo([], { DEBUG: "1" });
    expect(await runCommand(spec, fail, { io: debug })).toBe(1);
    expect(debug.err).toMatch(/^demo: model dir missing\nError: model dir missing\nsecond line\n +at /);
  });
});
