import { describe, expect, test } from "vitest";
import { createStep } from "../src/sampling/step.js";

describe("createStep", () => {
  test("rejects logits of the wrong length", () => {
    expect(() => createStep(new Float32Array(5), 2, 3, 0)).toThrow(/rows\*vocab = 6/);
  });

  test("reusing the previous step recycles its buffers and starts every per-step field afresh", () => {
    const first = createStep(Float32Array.from([1, 2, 3, 4, 5, 6]), 2, 3, 0);
    first.scores.fill(-Infinity);
    first.probs.fill(0.5);
    first.temperature.fill(2);
    first.tokens.fill(1);
    const logits = Float32Array.from([6, 5, 4, 3, 2, 1]);
    const next = createStep(logits, 2, 3, 1, undefined, first);
    expect(next.scores).toBe(first.scores);
    expect(next.probs).toBe(first.probs);
    expect(Array.from(next.scores)).toEqual([6, 5, 4, 3, 2, 1]);
    expect(next.scores).not.toBe(logits);
    expect(Array.from(next.temperature)).toEqual([1, 1]);
    expect(Array.from(next.tokens)).toEqual([-1, -1]);
    expect(next.position).toBe(1);
    // a different shape gets new buffers
    const other = createStep(new Float32Array(4), 1, 4, 2, undefined, next);
    expect(other.scores).not.toBe(next.scores);
  });
});
