/**
 * Each `npm run` entry spawned as npm runs it (tsx): --help prints usage and exits 0, a bad flag
 * one line and exit 2. The entries load onnxruntime only after parsing, so no model is loaded.
 */
import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";

/** Runs an entry as npm would (tsx), without npm's own lines around it. */
function runEntry(cli: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", `src/cli/${cli}.ts`, ...args], { env: { ...process.env, DEBUG: "" } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("the entries, spawned", () => {
  const CLIS = ["generate", "fit", "eval", "bench", "stress"];

  // All ten processes at once: each is mostly tsx starting up.
  it("print usage for --help and exit 0; answer a bad flag with one line on stderr and exit 2", async () => {
    const [helps, bogus] = await Promise.all([Promise.all(CLIS.map((cli) => runEntry(cli, ["--help"]))), Promise.all(CLIS.map((cli) => runEntry(cli, ["--bogus"])))]);
    CLIS.forEach((cli, i) => {
      expect(helps[i]!.code, cli).toBe(0);
      expect(helps[i]!.stdout).toMatch(new RegExp(`^Usage: npm run ${cli} -- \\[options\\]\\n`));
      expect(helps[i]!.stdout).toContain("-h, --help");
      if (cli !== "stress") expect(helps[i]!.stdout).toContain("--model DIR");
      expect(helps[i]!.stderr).toBe("");
      expect(bogus[i]!.code, cli).toBe(2);
      expect(bogus[i]!.stderr).toBe(`${cli}: unknown option --bogus (see --help)\n`);
      expect(bogus[i]!.stdout).toBe("");
    });
  });
});
