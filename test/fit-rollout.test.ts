import { describe, expect, it } from "vitest";
import { createFixedController } from "../src/control/fixed.js";
import { rollout } from "../src/fit/rollout.js";
import { createFakeLm } from "./cli-fake-model.js";

describe("rollout", () => {
  const lm = createFakeLm(32, 4096);
  const options = (T: number, seed: number) => ({ promptIds: [1, 2, 3], rows: 6, tokens: 40, sampler: createFixedController(T), seed });

  it("measures marginal ≥ mean conditional entropy, equal at t = 0 where every row shares the prompt", async () => {
    const trace = await rollout(lm, options(1, 7));
    expect(trace.marginal).toHaveLength(40);
    expect(trace.marginal[0]).toBeCloseTo(trace.conditional[0]!, 5);
    for (let t = 0; t < 40; t++) expect(trace.marginal[t]!).toBeGreaterThanOrEqual(trace.conditional[t]! - 1e-6);
    expect(Math.max(...Array.from(trace.marginal, (m, t) => m - trace.conditional[t]!))).toBeGreaterThan(0.1);
    expect(Array.from(trace.temperature).every((T) => T === 1)).toBe(true);
  });

  it("replays exactly from its seed (common random numbers) and differs across seeds", async () => {
    const a = await rollout(lm, options(1, 7));
    const b = await rollout(lm, options(1, 7));
    const c = await rollout(lm, options(1, 8));
    expect(Array.from(b.marginal)).toEqual(Array.from(a.marginal));
    expect(Array.from(c.marginal)).not.toEqual(Array.from(a.marginal));
  });

  it("raises marginal entropy with temperature", async () => {
    const mean = (a: Float64Array) => a.reduce((s, v) => s + v, 0) / a.length;
    const cold = await rollout(lm, options(0.5, 7));
    const hot = await rollout(lm, options(2, 7));
    expect(mean(hot.marginal)).toBeGreaterThan(mean(cold.marginal));
  });

  it("calls the observer and the progress callback once per position", async () => {
    const seen: number[] = [];
    let done = 0;
    await rollout(lm, { ...options(1, 1), observe: (s) => seen.push(s.position), progress: (d) => (done = d) });
    expect(seen).toEqual(Array.from({ length: 40 }, (_, t) => t));
    expect(done).toBe(40);
  });
});
