import { describe, expect, it } from "vitest";
import { createExactController } from "../src/control/exact.js";
import { createGreedy } from "../src/sampling/greedy.js";
import { createLogitBias } from "../src/sampling/logit-bias.js";
import { createLogitProcessors, withLogitProcessors } from "../src/sampling/logit-processors.js";
import { createMinTokens } from "../src/sampling/min-tokens.js";
import { OptionError } from "../src/sampling/option-error.js";
import { createPenalties } from "../src/sampling/penalties.js";
import type { Sampler } from "../src/sampling/sampler.js";
import { createStep, type Step } from "../src/sampling/step.js";
import { createTemperature } from "../src/sampling/temperature.js";
import { drive, meanOver } from "./plant.js";

/** One row's scores after `sampler` applies to `logits` at `position`. */
function applied(sampler: Sampler, logits: number[], position = 0): number[] {
  const step = createStep(Float32Array.from(logits), 1, logits.length, position);
  sampler.apply(step);
  return [...step.scores];
}

/** Accept `tokens` (one per row) into `sampler` as if the draw had chosen them. */
function accept(sampler: Sampler, tokens: number[]): void {
  const step = createStep(new Float32Array(tokens.length * 4), tokens.length, 4, 0);
  sampler.accept?.(Int32Array.from(tokens), step);
}

describe("logit bias", () => {
  it("adds the bias, and -100 bans", () => {
    expect(applied(createLogitBias({ "1": 2.5, "2": -100 }, 4), [1, 1, 1, 1])).toEqual([1, 3.5, -Infinity, 1]);
  });

  it("refuses ids outside the vocabulary, values outside [-100, 100] and banning everything", () => {
    for (const bias of [{ "4": 1 }, { x: 1 }, { "-1": 1 }, { "0": 101 }, { "0": -100, "1": -100 }] as Record<string, number>[]) {
      expect(() => createLogitBias(bias, bias["0"] === -100 ? 2 : 4)).toThrow(OptionError);
    }
    expect(() => createLogitBias({ "0": 101 }, 4)).toThrow(expect.objectContaining({ option: "logitBias" }));
  });
});

describe("penalties", () => {
  it("frequency and presence subtract c·f + [c > 0]·p from generated tokens (OpenAI)", () => {
    const p = createPenalties({ frequency: 0.5, presence: 1 });
    accept(p, [2]);
    accept(p, [2]);
    accept(p, [3]);
    expect(applied(p, [0, 0, 0, 0])).toEqual([0, 0, -2, -1.5]);
  });

  it("repetition divides positive and multiplies negative logits of prompt and generated tokens (CTRL)", () => {
    const p = createPenalties({ repetition: 2, promptIds: [0] });
    accept(p, [1]);
    expect(applied(p, [4, -4, 4, -4])).toEqual([2, -8, 4, -4]);
  });

  it("keeps one count per row and forgets them on reset", () => {
    const p = createPenalties({ frequency: 1 });
    accept(p, [1, 2]);
    const step = createStep(new Float32Array(8), 2, 4, 1);
    p.apply(step);
    expect([...step.scores]).toEqual([0, -1, 0, 0, 0, 0, -1, 0]);
    p.reset?.();
    expect(applied(p, [0, 0, 0, 0])).toEqual([0, 0, 0, 0]);
  });

  it("refuses penalties out of range, naming each", () => {
    expect(() => createPenalties({ presence: 2.5 })).toThrow(expect.objectContaining({ option: "presencePenalty" }));
    expect(() => createPenalties({ frequency: -3 })).toThrow(expect.objectContaining({ option: "frequencyPenalty" }));
    expect(() => createPenalties({ repetition: 0 })).toThrow(expect.objectContaining({ option: "repetitionPenalty" }));
  });
});

describe("min tokens", () => {
  it("bans end-of-sequence before min_tokens, and only then", () => {
    const m = createMinTokens(2, [0]);
    expect(applied(m, [5, 1, 1], 1)).toEqual([-Infinity, 1, 1]);
    expect(applied(m, [5, 1, 1], 2)).toEqual([5, 1, 1]);
    expect(() => createMinTokens(-1, [0])).toThrow(expect.objectContaining({ option: "minTokens" }));
  });
});

describe("greedy", () => {
  it("keeps the best token (ties to the lower id) and reports temperature 0", () => {
    const step = createStep(Float32Array.from([1, 3, 3, 0]), 1, 4, 0);
    createTemperature(1).apply(step);
    createGreedy().apply(step);
    expect([...step.scores]).toEqual([-Infinity, 3, -Infinity, -Infinity]);
    expect(step.temperature[0]).toBe(0);
  });
});

describe("logit processors before the policy", () => {
  it("the policy reads the processed logits; the model's logits are untouched", () => {
    const logits = Float32Array.from([1, 2, 3, 4]);
    let seen: number[] = [];
    const policy: Sampler = {
      name: "spy",
      apply: (s: Step) => {
        seen = [...s.logits];
      },
    };
    const step = createStep(logits, 1, 4, 0);
    withLogitProcessors([createLogitBias({ "3": -100, "0": 1 }, 4)], policy).apply(step);
    expect(seen).toEqual([2, 2, 3, -Infinity]);
    expect([...logits]).toEqual([1, 2, 3, 4]);
  });

  it("disabled settings add no processor", () => {
    const ctx = { vocabSize: 4, eosTokenIds: [0], promptIds: [1] };
    expect(createLogitProcessors({ logitBias: {}, minTokens: 0, presencePenalty: 0, frequencyPenalty: 0, repetitionPenalty: 1 }, ctx)).toEqual([]);
    expect(createLogitProcessors({ logitBias: { "1": 1 }, minTokens: 1, frequencyPenalty: 1 }, ctx).map((p) => p.name)).toEqual(["logit-bias", "min-tokens", "penalties"]);
  });

  it("exact still holds its target with a frequency penalty on", () => {
    const plant = { rows: 4, vocab: 512, steps: 400, seed: 5 };
    const target = 5;
    const penalized = drive(withLogitProcessors([createPenalties({ frequency: 1, presence: 0.5 })], createExactController({ target })), plant);
    expect(Math.abs(meanOver(penalized.entropy, 300) - target)).toBeLessThan(0.05);
  });
});
