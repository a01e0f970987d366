import { describe, expect, it } from "vitest";
import { BANDS, type Band, checkBands, failuresOf, rangeOf } from "../src/cli/bench-bands.js";

const bands: Band[] = [
  { key: "loop.exact", max: 1.5, promise: "the loop adds at most half a model step" },
  { key: "batch.8", min: 1.5, promise: "n = 8 decodes faster than n = 1" },
  { key: "both", min: 0.5, max: 2, promise: "within a factor of two" },
];

describe("bench bands", () => {
  it("a ratio inside its band passes, on the bound too", () => {
    expect(checkBands({ "loop.exact": 1.5, "batch.8": 4, both: 0.5 }, bands).every((v) => v.ok)).toBe(true);
  });

  it("a ratio outside its band fails, and the failure names it, its value and its band", () => {
    const verdicts = checkBands({ "loop.exact": 1.7, "batch.8": 1.2, both: 1 }, bands);
    expect(verdicts.map((v) => v.ok)).toEqual([false, false, true]);
    const failures = failuresOf(verdicts);
    expect(failures).toHaveLength(2);
    expect(failures[0]).toMatch(/^loop\.exact = 1\.700 is outside its band ≤ 1\.5/);
    expect(failures[1]).toMatch(/^batch\.8 = 1\.200 is outside its band ≥ 1\.5/);
  });

  it("a band whose ratio was not measured fails", () => {
    const verdicts = checkBands({ "loop.exact": 1, both: Number.NaN }, bands);
    expect(verdicts.map((v) => v.ok)).toEqual([true, false, false]);
    expect(failuresOf(verdicts)).toEqual(["batch.8: not measured (band ≥ 1.5)", "both: not measured (band 0.5 – 2)"]);
  });

  it("ranges read as text", () => {
    expect(bands.map(rangeOf)).toEqual(["≤ 1.5", "≥ 1.5", "0.5 – 2"]);
  });

  it("the shipped bands name distinct keys, each with a bound and a promise", () => {
    expect(new Set(BANDS.map((b) => b.key)).size).toBe(BANDS.length);
    for (const b of BANDS) {
      expect(b.min !== undefined || b.max !== undefined, b.key).toBe(true);
      expect(b.promise.length, b.key).toBeGreaterThan(0);
    }
  });
});
