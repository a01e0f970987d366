import { describe, expect, it } from "vitest";
import { createMarginalController } from "../src/control/marginal.js";
import { createGroupedSampler } from "../src/fit/grouped.js";
import { distinctN, repeatedNRate, selfBleu } from "../src/fit/text-metrics.js";
import { marginalEntropy } from "../src/sampling/marginal.js";
import type { Sampler } from "../src/sampling/sampler.js";
import { drive } from "./plant.js";

describe("text metrics", () => {
  it("distinct-n counts unique n-grams per window, averaged over rows", () => {
    const loop = [1, 2, 1, 2, 1, 2, 1, 2];
    const fresh = [1, 2, 3, 4, 5, 6, 7, 8];
    expect(distinctN([fresh], 2, 0, 8)).toBe(1);
    // Bigrams of the loop: 12 21 12 21 12 21 12 → 2 unique of 7.
    expect(distinctN([loop], 2, 0, 8)).toBeCloseTo(2 / 7, 12);
    expect(distinctN([loop, fresh], 2, 0, 8)).toBeCloseTo((2 / 7 + 1) / 2, 12);
    // Only n-grams entirely inside the window count.
    expect(distinctN([fresh], 3, 2, 5)).toBe(1);
    expect(distinctN([fresh], 3, 2, 4)).toBeNaN();
  });

  it("repeated-n rate counts n-grams seen earlier in the same row, before or inside the window", () => {
    const row = [1, 2, 3, 9, 1, 2, 3, 8];
    // 2-grams starting at 4..6: (1,2) seen at 0, (2,3) seen at 1, (3,8) new.
    expect(repeatedNRate([row], 2, 4, 8)).toBeCloseTo(2 / 3, 12);
    expect(repeatedNRate([row], 2, 0, 4)).toBe(0);
    // Rows do not see each other's n-grams.
    expect(
      repeatedNRate(
        [
          [1, 2, 3],
          [1, 2, 3],
        ],
        2,
        0,
        3,
      ),
    ).toBe(0);
  });

  it("self-BLEU is 1 for identical samples, near 0 for disjoint ones, and symmetric in row order", () => {
    const a = Array.from({ length: 40 }, (_, i) => i);
    const b = Array.from({ length: 40 }, (_, i) => 100 + i);
    const c = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? i : 200 + i));
    expect(selfBleu([a, a, a])).toBeCloseTo(1, 12);
    expect(selfBleu([a, b])).toBeLessThan(0.01);
    const mixed = selfBleu([a, c, b]);
    expect(mixed).toBeGreaterThan(selfBleu([a, b]));
    expect(mixed).toBeLessThan(1);
    expect(selfBleu([b, a, c])).toBeCloseTo(mixed, 12);
    expect(() => selfBleu([a])).toThrow(/at least 2 rows/);
  });
});

describe("grouped sampler", () => {
  it("runs one marginal controller per group, each holding the marginal of its own rows", () => {
    const masks: number[][] = [];
    const probe = (inner: Sampler): Sampler => ({
      ...inner,
      apply: (s) => {
        masks.push([...s.active]);
        return inner.apply(s);
      },
    });
    const target = 4;
    const groupMarginals: number[][] = [[], []];
    const estimates: number[][] = [];
    const trace = drive(
      createGroupedSampler(8, 4, (g) => (g === 1 ? probe(createMarginalController({ target })) : createMarginalController({ target }))),
      {
        rows: 8,
        vocab: 256,
        steps: 300,
        seed: 3,
        observe: (step) => {
          groupMarginals[0]!.push(marginalEntropy(step.probs, 4, step.vocab));
          groupMarginals[1]!.push(marginalEntropy(step.probs.subarray(4 * step.vocab), 4, step.vocab));
          estimates.push([step.estimate[0]!, step.estimate[4]!]);
        },
      },
    );
    // The second group's controller saw rows 4..7 only.
    expect(masks[0]).toEqual([0, 0, 0, 0, 1, 1, 1, 1]);
    // Each group's estimate is its own 4-row marginal of the step before, not the batch's.
    expect(estimates[100]![0]).toBeCloseTo(groupMarginals[0]![99]!, 4);
    expect(estimates[100]![1]).toBeCloseTo(groupMarginals[1]![99]!, 4);
    expect(estimates[100]![0]).not.toBeCloseTo(trace.marginal[99]!, 2);
    // One temperature per group, set independently.
    const last = trace.temperature.at(-1)!;
    expect(new Set(last.slice(0, 4)).size).toBe(1);
    expect(new Set(last.slice(4)).size).toBe(1);
    expect(last[0]).not.toBe(last[4]);
    for (const g of groupMarginals) expect(Math.abs(g.slice(200).reduce((a, b) => a + b, 0) / 100 - target)).toBeLessThan(0.1);
  });

  it("leaves the active mask as it found it and refuses a step of another size", () => {
    const g = createGroupedSampler(6, 4, () => ({ name: "noop", apply: () => {} }));
    expect(g.name).toBe("grouped(noop × 2)");
    expect(() => createGroupedSampler(6, 0, () => ({ name: "x", apply: () => {} }))).toThrow(/size must be/);
    const trace = drive(g, { rows: 6, vocab: 16, steps: 2, seed: 1, observe: (s) => expect([...s.active]).toEqual([1, 1, 1, 1, 1, 1]) });
    expect(trace.marginal).toHaveLength(2);
    expect(() => drive(g, { rows: 5, vocab: 16, steps: 1, seed: 1 })).toThrow(/built for 6 rows/);
  });
});
