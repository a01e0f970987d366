/**
 * Known-answer vectors for the request RNG: the first outputs of xoshiro128** for a few seeds, as
 * printed by an independent C implementation of the published algorithm with this project's
 * SplitMix32 seeding (test/fixtures/xoshiro128ss-reference.c, which names the command).
 */
import { describe, expect, it } from "vitest";
import { createRng, MAX_SEED } from "../src/sampling/rng.js";

/** [seed, first eight outputs as uint32]. */
const VECTORS: [number, number[]][] = [
  [0, [3809008728, 1133695204, 53579671, 2891528803, 139681546, 2203266335, 104831812, 1587294886]],
  [1, [2442144158, 3238099751, 3819917871, 2104621829, 2021136066, 4223536128, 1515984730, 2298887649]],
  [42, [2837322924, 544945897, 479756282, 3500138142, 339756180, 113173290, 65323186, 1112262688]],
  [4294967295, [835879718, 1921286648, 2356205009, 1885780724, 980451116, 1053911718, 3677392737, 2464361898]],
];

describe("createRng", () => {
  it.each(VECTORS)("seed %i gives the reference's first outputs", (seed, expected) => {
    const rng = createRng(seed);
    expect(rng.seed).toBe(seed);
    expect(expected.map(() => Math.floor(rng.next() * 2 ** 32))).toEqual(expected);
  });

  it.each([-1, 1.5, MAX_SEED + 1, Number.NaN])("rejects seed %d", (seed) => {
    expect(() => createRng(seed)).toThrow(RangeError);
  });
});
