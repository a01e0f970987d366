/**
 * The kernel runs a plan's probes before the request's rows: their own rows and positions, their
 * own stream of uniforms, observed step by step and never yielded.
 */
import { describe, expect, it } from "vitest";
import { createFixedController } from "../src/control/fixed.js";
import { createPromptProbe, type PromptProbe } from "../src/control/prompt-probe.js";
import { decodeSteps, probeSeed } from "../src/decode/kernel.js";
import { createRng } from "../src/sampling/rng.js";
import type { Step } from "../src/sampling/step.js";
import { createFakeLm } from "./cli-fake-model.js";

const lm = createFakeLm(32, 4096);
const promptIds = [1, 2, 3];

/** A probe at T = 1.3 that records each step it observes (rows, position, tokens) in `log`. */
function recordingProbe(log: string[], rows = 3, positions = 6): PromptProbe {
  const probe = createPromptProbe({ policy: createFixedController(1.3), spread: () => 1, gap: () => 0.5, rows, positions });
  return {
    ...probe,
    get scale() {
      return probe.scale;
    },
    get observed() {
      return probe.observed;
    },
    observe(step: Step) {
      log.push(`probe ${step.rows}×${step.position}: ${Array.from(step.tokens).join(",")}`);
      probe.observe(step);
    },
  };
}

/** Decode 8 tokens of 2 rows at T = 1 with `probes`, logging each yielded step after the probes' own. */
async function decode(log: string[], probes: readonly PromptProbe[], maxTokens = 8, signal?: AbortSignal): Promise<string[]> {
  const rows: string[] = [];
  const steps = decodeSteps(lm, { promptIds, rows: 2, maxTokens, policy: createFixedController(1), rng: createRng(11), probes, ...(signal ? { signal } : {}) });
  for await (const step of steps) {
    const line = `rows ${step.position}: ${Array.from(step.tokens).join(",")}`;
    log.push(line);
    rows.push(line);
  }
  return rows;
}

describe("probes in the kernel", () => {
  it("decodes each probe's rows over its positions before the request's first step, and yields only the request's", async () => {
    const log: string[] = [];
    const probe = recordingProbe(log);
    const rows = await decode(log, [probe]);
    expect(log.slice(0, 6).map((l) => l.split(":")[0])).toEqual(["probe 3×0", "probe 3×1", "probe 3×2", "probe 3×3", "probe 3×4", "probe 3×5"]);
    expect(log.slice(6)).toEqual(rows);
    expect(rows).toHaveLength(8);
    expect(probe.observed).toBe(5);
  });

  it("leaves the request's draws as they are without it: the probes draw from a stream of their own", async () => {
    const alone = await decode([], []);
    expect(await decode([], [recordingProbe([])])).toEqual(alone);
    // That stream is the request seed's probe stream: the probe replays a plain decode from it.
    const log: string[] = [];
    await decode(log, [recordingProbe(log)]);
    const plain: string[] = [];
    for await (const step of decodeSteps(lm, { promptIds, rows: 3, maxTokens: 6, policy: createFixedController(1.3), rng: createRng(probeSeed(11)) })) {
      plain.push(`probe 3×${step.position}: ${Array.from(step.tokens).join(",")}`);
    }
    expect(log.slice(0, 6)).toEqual(plain);
    expect(probeSeed(11)).not.toBe(11);
  });

  it("runs several probes one after the other on that one stream (the evaluation's independent requests)", async () => {
    const log: string[] = [];
    await decode(log, [recordingProbe(log), recordingProbe(log)]);
    const first = log.slice(0, 6).map((l) => l.split(": ")[1]);
    const second = log.slice(6, 12).map((l) => l.split(": ")[1]);
    expect(log[6]).toMatch(/^probe 3×0/);
    expect(second).not.toEqual(first);
  });

  it("probes no further than the request decodes, and not at all below two positions", async () => {
    const log: string[] = [];
    const short = recordingProbe(log);
    await decode(log, [short], 3);
    expect(log.filter((l) => l.startsWith("probe"))).toHaveLength(3);
    const none: string[] = [];
    const one = recordingProbe(none);
    await decode(none, [one], 1);
    expect(none.filter((l) => l.startsWith("probe"))).toHaveLength(0);
    expect(one.observed).toBe(0);
  });

  it("stops within the probe when the signal fires, and yields nothing", async () => {
    const abort = new AbortController();
    const log: string[] = [];
    const probe = recordingProbe(log);
    const stopping: PromptProbe = {
      ...probe,
      observe(step) {
        probe.observe(step);
        if (step.position === 2) abort.abort();
      },
    };
    expect(await decode(log, [stopping], 8, abort.signal)).toEqual([]);
    expect(log.filter((l) => l.startsWith("probe"))).toHaveLength(3);
  });
});
