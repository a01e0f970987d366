/**
 * `npm run stress`'s run: start each server in turn with MAX_CONCURRENT raised for the run, run
 * every scenario against it (soak and memory shapes first, on a fresh server, then concurrent
 * streams, dropped streams and malformed requests), print the report and write docs/reliability.md.
 */
import { execFileSync } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { loadavg } from "node:os";
import { describeMachine, machineLines } from "./bench-machine.js";
import { planOf, type StressPlan, type StressValues, type TargetName, varsOf } from "./stress-options.js";
import { checksOf, renderReliabilityDoc, slotLimitMs, type TargetRun } from "./stress-report.js";
import { concurrentStreams, describeServer, droppedStreams, malformed, shapePeaks, soak } from "./stress-scenarios.js";
import { startNodeServer, startWorkerd, type Target, type Vars } from "./stress-targets.js";

/** Every scenario against one started server. */
export async function stressTarget(target: Target, plan: StressPlan, vars: Vars, log: (line: string) => void): Promise<TargetRun> {
  const started = performance.now();
  const ctx = await describeServer(target.url, target.limits);
  // The first generation loads the model; time it apart from the scenarios.
  const warm = await fetch(new URL("/v1/completions", target.url), {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ model: ctx.model, prompt: "And", max_tokens: 2 }),
  });
  if (warm.status !== 200) throw new Error(`${target.name}: the first generation was answered ${warm.status}: ${await warm.text()}`);
  const startSeconds = (performance.now() - started) / 1000;
  log(`${target.name}: soak, ${plan.soak} requests`);
  const soaked = await soak(target.url, ctx.model, plan.soak, plan.soakTokens, target.meter);
  log(`${target.name}: memory of ${plan.shapes.length} request shapes`);
  const shapes = await shapePeaks(target.url, ctx.model, plan.shapes, target.meter);
  log(`${target.name}: ${plan.streams} concurrent streams, then each alone`);
  const streams = await concurrentStreams(target.url, ctx.model, plan.streams, plan.streamTokens);
  log(`${target.name}: ${plan.dropped} streams dropped by the client`);
  const dropped = await droppedStreams(target.url, ctx.model, plan.dropped, target.limits.maxConcurrent, slotLimitMs(plan.idleMs));
  log(`${target.name}: ${plan.malformed} malformed requests`);
  const bad = await malformed(target.url, ctx, plan.malformed, plan.malformedSeed);
  return {
    target: target.name,
    vars,
    startSeconds,
    ...(target.meter ? { memory: { scope: target.meter.scope, columns: target.meter.columns } } : {}),
    soak: soaked,
    shapes,
    streams,
    dropped,
    malformed: bad,
  };
}

const START: Readonly<Record<TargetName, (vars: Vars) => Promise<Target>>> = {
  workerd: startWorkerd,
  node: async (vars) => {
    // the Node server serves the asset tree that wrangler's [build] writes for the Worker
    execFileSync(process.execPath, ["scripts/build-assets.mjs"], { stdio: "ignore" });
    return startNodeServer(vars);
  },
};

/** Run the suite as `o` asks; `argv` is what was typed after `npm run stress --`. Returns the exit code: 1 when a check fails. */
export async function runStress(o: StressValues, argv: readonly string[]): Promise<number> {
  const plan = planOf(o, argv);
  const out = o.out ?? (o.quick ? undefined : "docs/reliability.md");
  const command = ["npm run stress", ...(argv.length > 0 ? ["--", ...argv] : [])].join(" ");
  const machine = describeMachine();
  const log = (line: string) => console.error(`[stress ${((performance.now() / 1000) | 0).toString().padStart(4)} s] ${line}`);
  const vars = varsOf(plan);
  const started = performance.now();
  const runs: TargetRun[] = [];
  for (const name of (["workerd", "node"] as const).filter((t) => !o.skip.includes(t))) {
    log(
      `${name}: starting with ${Object.entries(vars)
        .map(([k, v]) => `${k}=${v}`)
        .join(" ")}`,
    );
    const target = await START[name](vars);
    try {
      runs.push(await stressTarget(target, plan, vars, log));
    } finally {
      await target.dispose();
    }
  }
  const doc = renderReliabilityDoc({ command, machine: machineLines(machine, loadavg()[0]!), plan, runs, seconds: (performance.now() - started) / 1000 });
  console.log(doc);
  if (out) {
    await writeFile(out, doc);
    log(`wrote ${out}`);
  }
  const failed = runs.flatMap((r) =>
    checksOf(r, plan)
      .filter((c) => !c.ok)
      .map((c) => `${r.target}: ${c.name}: ${c.detail}`),
  );
  for (const f of failed) console.error(`stress: FAIL ${f}`);
  return failed.length > 0 ? 1 : 0;
}
