/** `npm run generate` as a program, on a fake model: what it prints, and that a seed reproduces it. */
import { describe, expect, it } from "vitest";
import { parseCommandLine, UsageError } from "../src/cli/args.js";
import { runGenerate } from "../src/cli/generate-command.js";
import { GENERATE_COMMAND, type GenerateValues } from "../src/cli/generate-options.js";
import { createFakeModel } from "./cli-fake-model.js";

function valuesOf(argv: string[]): GenerateValues {
  const line = parseCommandLine(GENERATE_COMMAND, argv);
  if (line.help) throw new Error("unexpected --help");
  return line.values;
}

async function run(argv: string[]): Promise<{ out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  await runGenerate(valuesOf(argv), { loadModel: async () => createFakeModel(), loadCatalog: async () => ({}), stdout: (l) => void out.push(l), stderr: (l) => void err.push(l) });
  return { out, err };
}

describe("runGenerate on a fake model", () => {
  it("prints the model, mode and seed, every row after its prompt, and the telemetry per window", async () => {
    const { out } = await run(["--mode", "exact", "--target", "2", "--n", "2", "--tokens", "12", "--seed", "5", "--prompt", "Hi"]);
    // The plan may add a notice in parentheses after the mode.
    expect(out[0]).toMatch(/^model fake \(fake00000000cafe\), mode exact\b.*, seed 5$/);
    expect(out[1]).toMatch(/^\n--- row 0 ---\nHi/);
    expect(out[2]).toMatch(/^\n--- row 1 ---\nHi/);
    expect(out[3]).toBe("\nwindow      mean T   mean H (nats)");
    expect(out.slice(4, 6).map((l) => l.slice(0, 12))).toEqual(["[0,10)      ", "[10,50)     "]);
    expect(out.at(-1)).toMatch(/^\n24 tokens in /);
  });

  it("reproduces the text from the seed it prints", async () => {
    const a = await run(["--mode", "fixed", "--temperature", "1.5", "--tokens", "8", "--seed", "9"]);
    const b = await run(["--mode", "fixed", "--temperature", "1.5", "--tokens", "8", "--seed", "9"]);
    expect(a.out.slice(0, 2)).toEqual(b.out.slice(0, 2));
  });

  it("turns a setting the planner refuses into a usage error naming the flag", async () => {
    await expect(run(["--mode", "schedule", "--target", "2", "--tokens", "4", "--seed", "1"])).rejects.toThrow(new UsageError("mode", "mode schedule: no fitted schedules exist for this model"));
    await expect(run(["--mode", "exact", "--target", "99", "--tokens", "4"])).rejects.toMatchObject({ name: "UsageError", option: "target" });
  });
});
