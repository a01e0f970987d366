import { describe, expect, it } from "vitest";
import { interleave, median, pairRatios, quantile, ratioOfPairs, spreadOf } from "../src/cli/bench-stats.js";

describe("bench statistics", () => {
  it("median of odd and even samples, in any order", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
  });

  it("quartiles interpolate between order statistics", () => {
    expect(quantile([1, 2, 3, 4, 5], 0.25)).toBe(2);
    expect(quantile([1, 2, 3, 4], 0.25)).toBeCloseTo(1.75);
    expect(quantile([1, 2, 3, 4], 0)).toBe(1);
    expect(quantile([1, 2, 3, 4], 1)).toBe(4);
    expect(spreadOf([5, 1, 4, 2, 3])).toEqual({ median: 3, q1: 2, q3: 4, n: 5 });
  });

  it("does not reorder the caller's array", () => {
    const xs = [3, 1, 2];
    median(xs);
    expect(xs).toEqual([3, 1, 2]);
  });

  it("a drift shared by both halves of a pair cancels in its ratio", () => {
    const drift = [1, 1.5, 3, 1.2, 2];
    const a = drift.map((d) => 1.1 * d);
    const b = drift;
    const r = ratioOfPairs(a, b);
    expect(r.median).toBeCloseTo(1.1, 12);
    expect(r.q3 - r.q1).toBeCloseTo(0, 12);
    expect(pairRatios([2, 9], [1, 3])).toEqual([2, 3]);
  });

  it("rejects what cannot be summarised", () => {
    expect(() => median([])).toThrow(/empty/);
    expect(() => quantile([1], 1.5)).toThrow(/q must be/);
    expect(() => pairRatios([1, 2], [1])).toThrow(/as many A as B/);
    expect(() => pairRatios([], [])).toThrow(/no pairs/);
  });

  it("interleave rotates the order of the arms and keeps results by arm and round", async () => {
    const order: string[] = [];
    const arm = (name: string, value: number) => async () => {
      order.push(name);
      return value + order.length;
    };
    const out = await interleave(3, [arm("a", 0), arm("b", 100), arm("c", 200)]);
    expect(order.join("")).toBe("abcbcacab");
    expect(out).toEqual([
      [1, 6, 8],
      [102, 104, 109],
      [203, 205, 207],
    ]);
    await expect(interleave(0, [])).rejects.toThrow(/rounds must be/);
  });
});
