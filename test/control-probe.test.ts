import { describe, expect, it } from "vitest";
import { divergenceScale, SCALE_MAX } from "../src/control/marginal.js";
import { createPromptProbe, PROBE_FADE, PROBE_POSITIONS, PROBE_ROWS, probedOffset } from "../src/control/prompt-probe.js";
import { createStep, type Step } from "../src/sampling/step.js";

const V = 4;
const policy = { name: "none", apply: () => {} };

/** A step of `rows` rows at `position` whose row b puts all its mass on token b mod `distinct`. */
function oneHotStep(rows: number, position: number, distinct: number): Step {
  const step = createStep(new Float32Array(rows * V), rows, V, position);
  for (let b = 0; b < rows; b++) step.probs[b * V + (b % distinct)] = 1;
  return step;
}

describe("prompt probe", () => {
  it("measures the shadow rows' k-row divergence against the pooled k-row − 1-row gap, over positions 1 to positions − 1", () => {
    // spread − gap = 0.5 nats pooled; two distinct one-hot rows of four mix to ln 2 above their conditional 0.
    const probe = createPromptProbe({ policy, spread: (t) => 1 + t, gap: (t) => 0.5 + t, rows: 4 });
    expect(probe.scale).toBe(1);
    // t = 0 shares the prompt: even rows that differ there say nothing.
    probe.observe(oneHotStep(4, 0, 4));
    expect(probe.observed).toBe(0);
    for (let t = 1; t < PROBE_POSITIONS; t++) probe.observe(oneHotStep(4, t, 2));
    // Past the probe's positions nothing counts either.
    probe.observe(oneHotStep(4, PROBE_POSITIONS, 4));
    expect(probe.observed).toBe(PROBE_POSITIONS - 1);
    expect(probe.scale).toBeCloseTo(divergenceScale(Math.log(2), 0, 1, 0.5), 12);
    expect(probe.scale).toBeCloseTo((Math.log(2) + 0.05) / (0.5 + 0.05), 12);
  });

  it("averages the positions: one that diverges and one that does not read as half", () => {
    const probe = createPromptProbe({ policy, spread: () => 1, gap: () => 0.5, rows: 4 });
    probe.observe(oneHotStep(4, 1, 2));
    probe.observe(oneHotStep(4, 2, 1));
    expect(probe.scale).toBeCloseTo((Math.log(2) / 2 + 0.05) / (0.5 + 0.05), 12);
  });

  it("clamps the divergence to [0, SCALE_MAX]", () => {
    const probe = createPromptProbe({ policy, spread: () => 0.01, gap: () => 0, rows: 4 });
    probe.observe(oneHotStep(4, 1, 4));
    expect(probe.scale).toBe(SCALE_MAX);
  });

  it("scales the offset at the probed positions, fades the scale back to 1 over PROBE_FADE positions, and leaves t = 0 alone", () => {
    const probe = createPromptProbe({ policy, spread: () => 1, gap: () => 0.5, rows: 4 });
    const offset = probedOffset((t) => 0.1 * t, probe);
    // Read at each call: before the probe has run the scale is 1.
    expect(offset(3)).toBeCloseTo(0.3, 12);
    for (let t = 1; t < PROBE_POSITIONS; t++) probe.observe(oneHotStep(4, t, 1));
    const s = probe.scale;
    expect(s).toBeCloseTo(0.05 / 0.55, 12);
    expect(offset(0)).toBe(0);
    expect(offset(3)).toBeCloseTo(s * 0.3, 12);
    expect(offset(PROBE_POSITIONS - 1)).toBeCloseTo(s * 0.1 * (PROBE_POSITIONS - 1), 12);
    const half = PROBE_POSITIONS + PROBE_FADE / 2;
    expect(offset(half)).toBeCloseTo((1 + (s - 1) / 2) * 0.1 * half, 12);
    expect(offset(PROBE_POSITIONS + PROBE_FADE)).toBeCloseTo(0.1 * (PROBE_POSITIONS + PROBE_FADE), 12);
    expect(offset(500)).toBeCloseTo(50, 12);
  });

  it("needs at least two rows and two positions", () => {
    expect(() => createPromptProbe({ policy, spread: () => 1, gap: () => 0, rows: 1 })).toThrow(/at least 2 rows/);
    expect(() => createPromptProbe({ policy, spread: () => 1, gap: () => 0, positions: 1 })).toThrow(/at least 2 positions/);
    expect(createPromptProbe({ policy, spread: () => 1, gap: () => 0 }).rows).toBe(PROBE_ROWS);
  });
});
