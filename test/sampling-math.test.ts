import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { drawCategorical } from "../src/sampling/categorical.js";
import { entropyOf, entropyOfProbs } from "../src/sampling/entropy.js";
import { logitStats } from "../src/sampling/logit-stats.js";
import { marginalEntropy, meanConditionalEntropy } from "../src/sampling/marginal.js";
import { createRng } from "../src/sampling/rng.js";
import { kthLargestInPlace } from "../src/sampling/select.js";
import { logSoftmaxAt, logSumExp, softmaxInto } from "../src/sampling/softmax.js";

const logits = (min = 1, max = 64) => fc.array(fc.double({ min: -30, max: 30, noNaN: true }), { minLength: min, maxLength: max }).map((a) => Float32Array.from(a));
/** Logits where some entries (never all) are filtered out. */
const filtered = fc.tuple(logits(2), fc.array(fc.boolean(), { minLength: 64, maxLength: 64 })).map(([z, mask]) => z.map((v, i) => (i > 0 && mask[i] ? -Infinity : v)));
const temperature = fc.double({ min: 0.05, max: 20, noNaN: true });

describe("softmax", () => {
  it("sums to 1, gives filtered entries 0, and returns the log-sum-exp", () => {
    fc.assert(
      fc.property(filtered, (z) => {
        const p = new Float32Array(z.length);
        const lse = softmaxInto(z, p);
        expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
        z.forEach((v, i) => {
          if (v === -Infinity) expect(p[i]).toBe(0);
          else expect(Math.log(p[i]!)).toBeCloseTo(v - lse, 4);
        });
        expect(lse).toBeCloseTo(logSumExp(z), 9);
      }),
    );
  });

  it("works in place and on extreme scales without overflow", () => {
    const z = Float32Array.from([1000, 999, -1000]);
    const lse = softmaxInto(z, z);
    expect(z[0]! + z[1]! + z[2]!).toBeCloseTo(1, 6);
    expect(z[0]! / z[1]!).toBeCloseTo(Math.E, 4);
    expect(lse).toBeCloseTo(1000 + Math.log(1 + Math.exp(-1)), 9);
  });

  it("maps an all-filtered row to zeros and lse = -Infinity", () => {
    const p = new Float32Array(3).fill(7);
    expect(softmaxInto(new Float32Array(3).fill(-Infinity), p)).toBe(-Infinity);
    expect([...p]).toEqual([0, 0, 0]);
  });

  it("logSoftmaxAt is s_i − lse, -Infinity when filtered, NaN out of range", () => {
    const z = Float32Array.from([0, Math.log(3), -Infinity]);
    expect(logSoftmaxAt(z, 1)).toBeCloseTo(Math.log(3 / 4), 6);
    expect(logSoftmaxAt(z, 2)).toBe(-Infinity);
    expect(logSoftmaxAt(z, 3)).toBeNaN();
  });
});

describe("entropy", () => {
  it("of a uniform row is log V at any temperature", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5000 }), fc.double({ min: -50, max: 50, noNaN: true }), temperature, (v, c, t) => {
        expect(entropyOf(new Float32Array(v).fill(c), t)).toBeCloseTo(Math.log(v), 6);
      }),
    );
  });

  it("does not increase as the temperature falls", () => {
    fc.assert(
      fc.property(filtered, temperature, temperature, (z, a, b) => {
        const [lo, hi] = a < b ? [a, b] : [b, a];
        expect(entropyOf(z, lo)).toBeLessThanOrEqual(entropyOf(z, hi) + 1e-9);
      }),
    );
  });

  it("post-softmax forms agree with the exact entropy", () => {
    fc.assert(
      fc.property(filtered, temperature, (z, t) => {
        const s = z.map((v) => v / t);
        const p = new Float32Array(s.length);
        const lse = softmaxInto(s, p);
        const exact = entropyOf(z, t);
        expect(entropyOfProbs(p, lse, s)).toBeCloseTo(exact, 4);
        expect(entropyOfProbs(p)).toBeCloseTo(exact, 4);
      }),
    );
  });

  it("is stable for sharp rows and NaN where undefined", () => {
    expect(entropyOf(Float32Array.from([0, -800]), 1)).toBeCloseTo(0, 12);
    expect(entropyOf(Float32Array.from([1, 2]), 0)).toBeNaN();
    expect(entropyOf(Float32Array.from([-Infinity, -Infinity]), 1)).toBeNaN();
    expect(entropyOf(Float32Array.from([1, 2, -Infinity]), Infinity)).toBeCloseTo(Math.log(2), 12);
  });
});

describe("logitStats", () => {
  const reference = (z: Float32Array) => {
    const xs = [...z].filter((v) => v !== -Infinity);
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    return { mean, variance: xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length };
  };

  it("matches a two-pass reference, skipping filtered entries", () => {
    fc.assert(
      fc.property(filtered, (z) => {
        const s = logitStats(z);
        const r = reference(z);
        expect(s.mean).toBeCloseTo(r.mean, 9);
        expect(s.variance).toBeCloseTo(r.variance, 7);
        expect(s.std).toBeCloseTo(Math.sqrt(r.variance), 7);
        expect(s.max === Math.max(...z)).toBe(true);
        expect(z[s.argmax]).toBe(s.max);
        expect(s.gap).toBeCloseTo(s.max - s.mean, 9);
      }),
    );
  });

  it("scales: var(z/T) = var(z)/T², std and gap as 1/T, gap/std scale-free", () => {
    fc.assert(
      fc.property(logits(2), temperature, (z, t) => {
        const a = logitStats(z);
        fc.pre(a.std > 1e-3);
        const b = logitStats(z.map((v) => v / t));
        const rel = (x: number, y: number) => Math.abs(x - y) / Math.abs(y);
        expect(rel(b.variance, a.variance / t ** 2)).toBeLessThan(1e-5);
        expect(rel(b.std, a.std / t)).toBeLessThan(1e-5);
        expect(rel(b.gap / b.std, a.gap / a.std)).toBeLessThan(1e-4);
      }),
    );
  });

  it("stays accurate for a 152k vocabulary far from zero", () => {
    const rng = createRng(7);
    const z = Float32Array.from({ length: 152_000 }, () => 1000 + rng.next());
    const s = logitStats(z);
    const r = reference(z);
    expect(Math.abs(s.variance - r.variance) / r.variance).toBeLessThan(1e-9);
  });

  it("reports NaN statistics and argmax -1 for an all-filtered row", () => {
    const s = logitStats(new Float32Array(3).fill(-Infinity));
    expect(s.argmax).toBe(-1);
    expect(s.mean).toBeNaN();
    expect(s.variance).toBeNaN();
  });
});

describe("marginal entropy", () => {
  const batch = fc.integer({ min: 1, max: 5 }).chain((rows) => fc.tuple(fc.constant(rows), fc.array(fc.double({ min: -8, max: 8, noNaN: true }), { minLength: rows * 6, maxLength: rows * 6 })));
  const probsOf = (rows: number, z: number[]) => {
    const p = new Float32Array(z.length);
    for (let b = 0; b < rows; b++) softmaxInto(Float32Array.from(z.slice(b * 6, b * 6 + 6)), p.subarray(b * 6, b * 6 + 6));
    return p;
  };

  it("is at least the mean conditional entropy", () => {
    fc.assert(
      fc.property(batch, ([rows, z]) => {
        const p = probsOf(rows, z);
        expect(marginalEntropy(p, rows, 6)).toBeGreaterThanOrEqual(meanConditionalEntropy(p, rows, 6) - 1e-6);
      }),
    );
  });

  it("equals the conditional entropy for identical rows and log 2 for disjoint one-hots", () => {
    const p = Float32Array.from([0.5, 0.5, 0, 0, 0.5, 0.5, 0, 0]);
    expect(marginalEntropy(p, 2, 4)).toBeCloseTo(Math.log(2), 6);
    expect(meanConditionalEntropy(p, 2, 4)).toBeCloseTo(Math.log(2), 6);
    const q = Float32Array.from([1, 0, 0, 1]);
    expect(marginalEntropy(q, 2, 2)).toBeCloseTo(Math.log(2), 6);
    expect(meanConditionalEntropy(q, 2, 2)).toBe(0);
  });

  it("counts only active rows, NaN when none is", () => {
    const q = Float32Array.from([1, 0, 0, 1]);
    expect(marginalEntropy(q, 2, 2, Uint8Array.from([1, 0]))).toBe(0);
    expect(marginalEntropy(q, 2, 2, Uint8Array.from([0, 0]))).toBeNaN();
    expect(meanConditionalEntropy(q, 2, 2, Uint8Array.from([0, 0]))).toBeNaN();
  });
});

describe("drawCategorical", () => {
  it("never returns an index with probability 0, for any u", () => {
    fc.assert(
      fc.property(fc.array(fc.float({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 20 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (w, u) => {
        const total = w.reduce((a, b) => a + b, 0);
        fc.pre(total > 0);
        const p = Float32Array.from(w, (x) => x / total);
        const i = drawCategorical(p, u);
        expect(p[i]).toBeGreaterThan(0);
      }),
    );
  });

  it("falls back to the last positive entry when rounding leaves the CDF short of u", () => {
    expect(drawCategorical(Float32Array.from([0.3, 0.5, 0, 0.1999, 0]), 0.99995)).toBe(3);
    expect(drawCategorical(new Float32Array(3), 0.5)).toBe(-1);
  });

  it("follows the distribution (chi-square, fixed seed)", () => {
    const p = Float32Array.from([0.1, 0.2, 0, 0.3, 0.15, 0.25]);
    const rng = createRng(42);
    const n = 20_000;
    const counts = new Array<number>(p.length).fill(0);
    for (let k = 0; k < n; k++) counts[drawCategorical(p, rng.next())]!++;
    expect(counts[2]).toBe(0);
    let chi2 = 0;
    p.forEach((q, i) => {
      if (q > 0) chi2 += (counts[i]! - n * q) ** 2 / (n * q);
    });
    // 5 positive categories → 4 degrees of freedom; 18.467 is the 0.999 quantile of χ²(4).
    expect(chi2).toBeLessThan(18.467);
  });
});

describe("kthLargestInPlace", () => {
  it("returns the k-th largest value", () => {
    fc.assert(
      fc.property(filtered, fc.nat(), (z, j) => {
        const k = 1 + (j % z.length);
        const sorted = [...z].sort((a, b) => b - a);
        expect(kthLargestInPlace(Float32Array.from(z), k) === sorted[k - 1]).toBe(true);
      }),
    );
  });
});
