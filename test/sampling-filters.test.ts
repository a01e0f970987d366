import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createFilters } from "../src/sampling/filters.js";
import { createMinP } from "../src/sampling/min-p.js";
import type { Sampler } from "../src/sampling/sampler.js";
import { softmaxInto } from "../src/sampling/softmax.js";
import { createStep } from "../src/sampling/step.js";
import { createTopK } from "../src/sampling/top-k.js";
import { createTopP } from "../src/sampling/top-p.js";

/** Indices left finite after `filter` runs on one row of `scores`. */
function kept(filter: Sampler, scores: number[]): number[] {
  const step = createStep(Float32Array.from(scores), 1, scores.length, 0);
  filter.apply(step);
  return [...step.scores.keys()].filter((i) => step.scores[i] !== -Infinity);
}

// Rounded to float32 up front, as scores are stored, so comparisons see the values the filter saw.
const row = fc.array(fc.double({ min: -20, max: 20, noNaN: true }).map(Math.fround), { minLength: 1, maxLength: 80 });
const probsOf = (scores: number[]) => {
  const p = new Float32Array(scores.length);
  softmaxInto(Float32Array.from(scores), p);
  return p;
};
const log = (ps: number[]) => ps.map(Math.log);

describe("top-k", () => {
  it("keeps the k best scores, ties toward the lower id", () => {
    expect(kept(createTopK(2), [1, 5, 3, 5, 2])).toEqual([1, 3]);
    expect(kept(createTopK(3), [1, 5, 3, 5, 2])).toEqual([1, 2, 3]);
    expect(kept(createTopK(2), [1, 2, 2, 2, 0])).toEqual([1, 2]);
    expect(kept(createTopK(1), [0, 0, 0])).toEqual([0]);
  });

  it("keeps exactly min(k, V) tokens, none scoring below one it dropped", () => {
    fc.assert(
      fc.property(row, fc.integer({ min: 1, max: 100 }), (z, k) => {
        const ids = kept(createTopK(k), z);
        expect(ids.length).toBe(Math.min(k, z.length));
        const dropped = z.filter((_, i) => !ids.includes(i));
        for (const i of ids) for (const d of dropped) expect(z[i]).toBeGreaterThanOrEqual(d);
      }),
    );
  });

  it("k = 0 keeps everything", () => {
    expect(kept(createTopK(0), [1, 2, 3])).toEqual([0, 1, 2]);
  });

  it("rejects a negative or fractional k", () => {
    expect(() => createTopK(-1)).toThrow(/top_k/);
    expect(() => createTopK(1.5)).toThrow(RangeError);
  });
});

describe("top-p", () => {
  // Probabilities 0.15, 0.5, 0.05, 0.3 in shuffled order: the ranking is 1, 3, 0, 2.
  const z = log([0.15, 0.5, 0.05, 0.3]);

  it("keeps the shortest ranked prefix reaching p", () => {
    expect(kept(createTopP(0.4), z)).toEqual([1]);
    expect(kept(createTopP(0.75), z)).toEqual([1, 3]);
    expect(kept(createTopP(0.9), z)).toEqual([0, 1, 3]);
    expect(kept(createTopP(0.99), z)).toEqual([0, 1, 2, 3]);
    expect(kept(createTopP(1), z)).toEqual([0, 1, 2, 3]);
  });

  it("breaks ties toward the lower id", () => {
    expect(kept(createTopP(0.3), [0, 1, 1, 0])).toEqual([1]);
    expect(kept(createTopP(0.6), [0, 1, 1, 0])).toEqual([1, 2]);
  });

  it("keeps a set of mass ≥ p that would fall below p without its least likely member", () => {
    fc.assert(
      fc.property(row, fc.double({ min: 0.01, max: 0.999, noNaN: true }), (s, p) => {
        const probs = probsOf(s);
        const ids = kept(createTopP(p), s);
        expect(ids.length).toBeGreaterThanOrEqual(1);
        const mass = ids.reduce((a, i) => a + probs[i]!, 0);
        const least = Math.min(...ids.map((i) => probs[i]!));
        if (ids.length < s.length) expect(mass).toBeGreaterThanOrEqual(p - 1e-6);
        expect(mass - least).toBeLessThan(p + 1e-6);
        const dropped = s.filter((_, i) => !ids.includes(i));
        for (const i of ids) for (const d of dropped) expect(s[i]).toBeGreaterThanOrEqual(d);
      }),
    );
  });

  it("rejects p outside (0, 1]", () => {
    expect(() => createTopP(0)).toThrow(/top_p/);
    expect(() => createTopP(1.1)).toThrow(RangeError);
    expect(() => createTopP(Number.NaN)).toThrow(/top_p/);
  });
});

describe("min-p", () => {
  const z = log([0.5, 0.3, 0.15, 0.05]);

  it("keeps tokens at least min_p times as likely as the best", () => {
    expect(kept(createMinP(0.25), z)).toEqual([0, 1, 2]);
    expect(kept(createMinP(0.7), z)).toEqual([0]);
    expect(kept(createMinP(0.05), z)).toEqual([0, 1, 2, 3]);
  });

  it("always keeps the most likely token and only tokens above the floor", () => {
    fc.assert(
      fc.property(row, fc.double({ min: 0, max: 1, noNaN: true }), (s, m) => {
        const probs = probsOf(s);
        const ids = kept(createMinP(m), s);
        const best = Math.max(...probs);
        expect(ids.some((i) => probs[i] === best)).toBe(true);
        for (const i of ids) expect(probs[i]!).toBeGreaterThanOrEqual(m * best * (1 - 1e-5));
      }),
    );
  });

  it("rejects min_p outside [0, 1]", () => {
    expect(() => createMinP(-0.1)).toThrow(/min_p/);
    expect(() => createMinP(1.1)).toThrow(RangeError);
  });
});

describe("filters on a batch", () => {
  it("skip inactive rows", () => {
    for (const filter of [createTopK(1), createTopP(0.1), createMinP(0.9)]) {
      const step = createStep(Float32Array.from([0, 1, 2, 0, 1, 2]), 2, 3, 0, Uint8Array.from([0, 1]));
      filter.apply(step);
      expect([...step.scores]).toEqual([0, 1, 2, -Infinity, -Infinity, 2]);
    }
  });
});

describe("createFilters", () => {
  it("adds only enabled filters, in the order top-k, top-p, min-p", () => {
    expect(createFilters({})).toEqual([]);
    expect(createFilters({ topK: 0, topP: 1, minP: 0 })).toEqual([]);
    expect(createFilters({ minP: 0.1, topP: 0.9, topK: 5 }).map((f) => f.name)).toEqual(["top-k", "top-p", "min-p"]);
  });

  it("validates each setting, naming it", () => {
    expect(() => createFilters({ topK: -1 })).toThrow(/top_k/);
    expect(() => createFilters({ topP: 0 })).toThrow(/top_p/);
    expect(() => createFilters({ minP: 2 })).toThrow(/min_p/);
  });
});
