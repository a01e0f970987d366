/**
 * Machine — what the benchmark ran on, printed with every table: ratios move with the CPU, the
 * runtime versions and how busy the machine was.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, loadavg, platform, release, totalmem } from "node:os";
import { join } from "node:path";

export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly os: string;
  readonly node: string;
  /** Package versions: onnxruntime-node, onnxruntime-web, @huggingface/transformers, wrangler, workerd. */
  readonly packages: Readonly<Record<string, string>>;
  readonly date: string;
  /** Short commit, with "+dirty" when the working tree differs from it. */
  readonly commit: string;
  /** 1-minute load average when the run began. */
  readonly loadAtStart: number;
}

function git(args: string[]): string {
  try {
    return execFileSync("git", args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return "";
  }
}

/** The installed version of `pkg` (read from node_modules: some packages do not export their package.json). */
export function packageVersion(pkg: string): string {
  try {
    return (JSON.parse(readFileSync(join("node_modules", pkg, "package.json"), "utf8")) as { version: string }).version;
  } catch {
    return "not installed";
  }
}

export function describeMachine(): Machine {
  const commit = git(["rev-parse", "--short", "HEAD"]) || "unknown";
  const dirty = git(["status", "--porcelain", "--untracked-files=no"]) !== "";
  return {
    cpu: cpus()[0]?.model.trim() ?? "unknown",
    cores: cpus().length,
    memoryGiB: totalmem() / 2 ** 30,
    os: `${platform()} ${release()}`,
    node: process.version,
    packages: Object.fromEntries(["onnxruntime-node", "onnxruntime-web", "@huggingface/transformers", "wrangler", "workerd"].map((p) => [p, packageVersion(p)])),
    date: new Date().toISOString(),
    commit: dirty ? `${commit}+dirty` : commit,
    loadAtStart: loadavg()[0]!,
  };
}

/** The machine as lines of text (the same in stdout and in the doc). */
export function machineLines(m: Machine, loadAtEnd: number): string[] {
  return [
    `CPU: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB.toFixed(1)} GiB; ${m.os}`,
    `Node ${m.node}; ${Object.entries(m.packages)
      .map(([p, v]) => `${p} ${v}`)
      .join(", ")}`,
    `${m.date}, commit ${m.commit}; 1-minute load average ${m.loadAtStart.toFixed(2)} at start, ${loadAtEnd.toFixed(2)} at end`,
  ];
}
