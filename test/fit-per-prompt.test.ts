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

  it("judge a prompt run on several seeds by its mean, and report the seed-to-seed spread", () => {
    // Two prompts cycled twice (episode i ran prompt i mod 2), a third episode of prompt 0.
    const biases: Record<string, number>[] = [{ "0-10": 0.01 }, { "0-10": 0.05 }, { "0-10": 0.03 }, { "0-10": 0.03 }, { "0-10": 0.05, "10-50": 0.02 }];
    const spread = spreadOverPrompts(biases, (i) => i % 2);
    const s = spread["0-10"]!;
    // Prompt 0: 0.01, 0.03, 0.05 → mean 0.03; prompt 1: 0.05, 0.03 → mean 0.04. The worst is a mean, not the one 0.05.
    expect(s.prompts).toBe(2);
    expect(s.worst).toBeCloseTo(0.04, 12);
    expect(s.median).toBeCloseTo(0.035, 12);
    expect(s.episodes).toBe(5);
    // Within-prompt squares 0.0008 + 0.0002 over 5 − 2 degrees of freedom.
    expect(s.seedSd).toBeCloseTo(Math.sqrt(0.001 / 3), 12);
    // A window only one episode reached has no spread to report.
    expect(spread["10-50"]).toEqual({ prompts: 1, median: 0.02, worst: 0.02 });
  });
});
