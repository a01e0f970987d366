import { describe, expect, it } from "vitest";
import { compressKnots, compressLinear, expandKnots } from "../src/fit/knots.js";
import { smoothInPosition } from "../src/fit/smooth.js";

describe("compressKnots", () => {
  const n = 1000;
  const curve = Float64Array.from({ length: n }, (_, t) => 0.8 + 0.9 * Math.exp(-t / 25) + 0.1 * Math.sin(t / 150));

  it("round-trips a smooth curve within the tolerance in log T, with far fewer knots", () => {
    const knots = compressKnots(curve, { tolerance: 0.01 });
    expect(knots.positions[0]).toBe(0);
    expect(knots.positions.at(-1)).toBe(n - 1);
    expect(knots.positions.length).toBeLessThan(40);
    const back = expandKnots(knots, n);
    for (let t = 0; t < n; t++) expect(Math.abs(Math.log(back[t]! / curve[t]!))).toBeLessThan(0.01 + 1e-4);
  });

  it("keeps a curve that is geometric between two points as two knots", () => {
    const geometric = Float64Array.from({ length: 100 }, (_, t) => 2 * Math.exp(-0.005 * t));
    expect(compressKnots(geometric).positions).toEqual([0, 99]);
  });

  it("stops at maxKnots and accepts a single position", () => {
    expect(compressKnots(curve, { tolerance: 0, maxKnots: 5 }).positions).toHaveLength(5);
    expect(compressKnots([1.5])).toEqual({ positions: [0], temperatures: [1.5] });
  });

  it("rejects temperatures that are not finite and > 0, and bad options", () => {
    expect(() => compressKnots([1, 0, 1])).toThrow(/temperatures\[1\]/);
    expect(() => compressKnots([])).toThrow(/empty/);
    expect(() => compressKnots([1, 2], { maxKnots: 1 })).toThrow(/maxKnots/);
    expect(() => compressKnots([1, 2], { tolerance: -1 })).toThrow(/tolerance/);
  });
});

describe("compressLinear", () => {
  it("round-trips an offset curve within the tolerance in nats", () => {
    const offset = Float64Array.from({ length: 500 }, (_, t) => 1.2 * (1 - Math.exp(-t / 40)));
    const table = compressLinear(offset, { tolerance: 0.02 });
    for (let t = 0; t < 500; t++) {
      let k = 0;
      while (k + 1 < table.positions.length && table.positions[k + 1]! <= t) k++;
      const a = table.positions[k]!;
      const b = table.positions[Math.min(k + 1, table.positions.length - 1)]!;
      const w = b === a ? 0 : (t - a) / (b - a);
      const v = table.values[k]! + w * ((table.values[Math.min(k + 1, table.values.length - 1)] ?? 0) - table.values[k]!);
      expect(Math.abs(v - offset[t]!)).toBeLessThan(0.02 + 1e-3);
    }
  });
});

describe("smoothInPosition", () => {
  it("leaves a constant alone and averages more positions later than earlier", () => {
    expect(Array.from(smoothInPosition(new Float64Array(300).fill(2), undefined)).every((v) => Math.abs(v - 2) < 1e-12)).toBe(true);
    const spikeEarly = new Float64Array(600);
    spikeEarly[2] = 1;
    const spikeLate = new Float64Array(600);
    spikeLate[500] = 1;
    // A spike keeps much of its height early (narrow kernel) and is spread thin late (wide one).
    expect(smoothInPosition(spikeEarly, undefined)[2]!).toBeGreaterThan(0.2);
    expect(smoothInPosition(spikeLate, undefined)[500]!).toBeLessThan(0.01);
  });

  it("fills unmeasured positions (weight 0) from their neighbours", () => {
    const values = Float64Array.from([1, 1, 99, 1, 1]);
    const weights = Float64Array.from([1, 1, 0, 1, 1]);
    expect(smoothInPosition(values, weights, { bandwidth: 0.5 })[2]).toBeCloseTo(1, 12);
  });
});
