import { describe, expect, it } from "vitest";
import { createExactController } from "../src/control/exact.js";
import { createFallbackController } from "../src/control/fallback.js";
import { createFixedController } from "../src/control/fixed.js";
import { drive } from "./plant.js";

const plant = { rows: 3, vocab: 64, seed: 5 };
/** Exact control at an entropy far above what t_max = 0.2 allows: pinned at the clamp from step 0. */
const pinned = () => createExactController({ target: 4, tMax: 0.2, tInit: 0.2 });

describe("fallback controller", () => {
  it("hands over after exactly `afterSaturatedSteps` saturated steps, in accept, and says so", () => {
    const c = createFallbackController(pinned(), { afterSaturatedSteps: 4, mode: "schedule", create: () => createFixedController(1.5) });
    const seen: { name: string; handedOver: boolean }[] = [];
    const trace = drive(c, { ...plant, steps: 8, observe: () => seen.push({ name: c.name, handedOver: c.handover !== undefined }) });
    // Steps 0-3 ran the primary at its clamp; the 4th saturated accept (step 3) switched.
    expect(seen.map((s) => s.handedOver)).toEqual([false, false, false, true, true, true, true, true]);
    expect(c.handover).toEqual({ index: 3, from: "exact", to: "schedule", reason: "exact controller saturated at a temperature clamp for 4 tokens" });
    expect(
      trace.temperature
        .slice(0, 4)
        .flat()
        .every((t) => Math.abs(t - 0.2) < 1e-6),
    ).toBe(true);
    expect(
      trace.temperature
        .slice(4)
        .flat()
        .every((t) => t === 1.5),
    ).toBe(true);
    expect(seen.at(-1)!.name).toBe("fixed");
    expect(c.saturation).toBe(0);
  });

  it("never switches while the primary stays inside its range", () => {
    const c = createFallbackController(createExactController({ target: 2 }), { afterSaturatedSteps: 2, mode: "schedule", create: () => createFixedController(1.5) });
    drive(c, { ...plant, steps: 60 });
    expect(c.handover).toBeUndefined();
    expect(c.name).toBe("exact");
  });

  it("starts over on the primary after reset", () => {
    const c = createFallbackController(pinned(), { afterSaturatedSteps: 1, mode: "schedule", create: () => createFixedController(1.5) });
    drive(c, { ...plant, steps: 2 });
    expect(c.handover?.index).toBe(0);
    c.reset?.();
    expect(c.handover).toBeUndefined();
    expect(c.name).toBe("exact");
  });

  it("rejects a switch count below 1", () => {
    expect(() => createFallbackController(pinned(), { afterSaturatedSteps: 0, mode: "schedule", create: () => createFixedController(1) })).toThrow(/afterSaturatedSteps/);
  });
});
