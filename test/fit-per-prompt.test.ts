import { describe, expect, it } from "vitest";
import { promptWindowBiases, spreadOverPrompts } from "../src/fit/per-prompt.js";

describe("per-prompt window biases", () => {
  it("are each window's mean miss as a fraction of the target, over the positions reached", () => {
    const marginal = Float64Array.from({ length: 60 }, (_, t) => (t < 10 ? 4.4 : t < 50 ? 3.8 : 4.2));
    const b = promptWindowBiases(marginal, 4);
    expect(b["0-10"]).toBeCloseTo(0.1, 12);
    expect(b["10-50"]).toBeCloseTo(-0.05, 12);
    expect(b["50-300"]).toBeCloseTo(0.05, 12);
    expect(b["300-1000"]).toBeUndefined();
  });

  it("give the median and the worst prompt per window, the worst keeping its sign", () => {
    const spread = spreadOverPrompts([{ "0-10": 0.01 }, { "0-10": -0.09, "10-50": 0.02 }, { "0-10": 0.03 }, { "0-10": 0.05 }]);
    expect(spread["0-10"]).toEqual({ prompts: 4, median: 0.02, worst: -0.09 });
    expect(spread["10-50"]).toEqual({ prompts: 1, median: 0.02, worst: 0.02 });
    expect(spread["50-300"]).toBeUndefined();
  });
});
