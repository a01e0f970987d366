import { describe, expect, test } from "vitest";
import { errorOf, nodeModel, post, testApp } from "./helpers/http.js";

const PROMPT = "And it came to pass";

interface Completion {
  id: string;
  object: string;
  model: string;
  system_fingerprint: string;
  choices: {
    index: number;
    text: string;
    finish_reason: string;
    logprobs: { tokens: string[]; token_logprobs: number[]; top_logprobs: Record<string, number>[] | null; text_offset: number[] } | null;
    telemetry?: { token_id: number; text: string; temperature: number; entropy_estimate: number | null; entropy: number; marginal_entropy?: number; logprob: number }[];
  }[];
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
  entropy: { requested_mode: string; mode: string; seed: number };
}

const app = await testApp();
const model = await nodeModel();
const complete = async (body: object): Promise<Completion> => {
  const res = await post(app, "/v1/completions", { model: model.name, prompt: PROMPT, max_tokens: 6, ...body });
  expect(res.status).toBe(200);
  return (await res.json()) as Completion;
};

describe("POST /v1/completions", () => {
  test("returns an OpenAI text completion with usage and the entropy report", async () => {
    const out = await complete({ seed: 11 });
    expect(out).toMatchObject({ object: "text_completion", model: model.name, system_fingerprint: model.id });
    expect(out.id).toMatch(/^cmpl-/);
    expect(out.choices).toHaveLength(1);
    expect(out.choices[0]).toMatchObject({ index: 0, logprobs: null, finish_reason: expect.stringMatching(/^(stop|length)$/) });
    expect(out.choices[0]!.telemetry).toBeUndefined();
    const promptTokens = model.tokenizer.encode(PROMPT).length;
    expect(out.usage.prompt_tokens).toBe(promptTokens);
    expect(out.usage.completion_tokens).toBeGreaterThan(0);
    expect(out.usage.completion_tokens).toBeLessThanOrEqual(6);
    expect(out.usage.total_tokens).toBe(promptTokens + out.usage.completion_tokens);
    expect(out.entropy).toEqual({ requested_mode: "fixed", mode: "fixed", seed: 11 });
  });

  test("replays from a seed and reports a random seed when none is given", async () => {
    const a = await complete({ seed: 5, max_tokens: 8 });
    const b = await complete({ seed: 5, max_tokens: 8 });
    expect(b.choices[0]!.text).toBe(a.choices[0]!.text);
    const unseeded = await complete({});
    expect(Number.isInteger(unseeded.entropy.seed)).toBe(true);
    const replay = await complete({ seed: unseeded.entropy.seed });
    expect(replay.choices[0]!.text).toBe(unseeded.choices[0]!.text);
  });

  test("defaults max_tokens to 16, as OpenAI does", async () => {
    const res = await post(app, "/v1/completions", { model: model.name, prompt: PROMPT, seed: 1, stop: null });
    const out = (await res.json()) as Completion;
    if (out.choices[0]!.finish_reason === "length") expect(out.usage.completion_tokens).toBe(16);
    else expect(out.usage.completion_tokens).toBeLessThanOrEqual(16);
  });

  test("n > 1 decodes n choices in one batch", async () => {
    const out = await complete({ n: 3, seed: 2, max_tokens: 4 });
    expect(out.choices.map((c) => c.index)).toEqual([0, 1, 2]);
    expect(out.usage.prompt_tokens).toBe(model.tokenizer.encode(PROMPT).length);
  });

  test("accepts the prompt as token ids", async () => {
    const ids = model.tokenizer.encode(PROMPT);
    const fromIds = await complete({ prompt: ids, seed: 9 });
    const fromText = await complete({ seed: 9 });
    expect(fromIds.choices[0]!.text).toBe(fromText.choices[0]!.text);
  });

  test("a stop string ends the row and is not returned", async () => {
    const free = await complete({ seed: 3, max_tokens: 12 });
    const text = free.choices[0]!.text;
    // Stop on a piece of what the free run produced, so the stop is sure to fire.
    const stop = text.trim().slice(0, 2);
    expect(stop.length).toBeGreaterThan(0);
    const stopped = await complete({ seed: 3, max_tokens: 12, stop: [stop, "\u0000never"] });
    expect(stopped.choices[0]!.finish_reason).toBe("stop");
    expect(stopped.choices[0]!.text).toBe(text.slice(0, text.indexOf(stop)));
    const single = await complete({ seed: 3, max_tokens: 12, stop });
    expect(single.choices[0]!.text).toBe(stopped.choices[0]!.text);
  });

  test("logprobs: chosen-token logprobs, text offsets and the top alternatives", async () => {
    const out = await complete({ seed: 4, logprobs: 3, max_tokens: 5 });
    const lp = out.choices[0]!.logprobs!;
    const n = out.usage.completion_tokens;
    expect(lp.tokens).toHaveLength(n);
    expect(lp.token_logprobs.every((x) => x <= 0)).toBe(true);
    expect(lp.text_offset[0]).toBe(0);
    expect(lp.top_logprobs).toHaveLength(n);
    for (const top of lp.top_logprobs!) expect(Object.keys(top).length).toBeLessThanOrEqual(3);
    const none = await complete({ seed: 4, logprobs: 0, max_tokens: 5 });
    expect(none.choices[0]!.logprobs!.top_logprobs).toBeNull();
    expect(none.choices[0]!.logprobs!.token_logprobs).toEqual(lp.token_logprobs);
  });

  test("telemetry: one entry per token, consistent with the text and the temperature", async () => {
    const out = await complete({ seed: 6, telemetry: true, temperature: 0.7 });
    const choice = out.choices[0]!;
    const telemetry = choice.telemetry!;
    expect(telemetry).toHaveLength(out.usage.completion_tokens);
    expect(telemetry.map((t) => t.text).join("")).toBe(choice.text);
    for (const t of telemetry) {
      expect(t.temperature).toBeCloseTo(0.7, 5);
      expect(t.entropy_estimate).toBeNull();
      expect(t.entropy).toBeGreaterThanOrEqual(0);
      expect(t.logprob).toBeLessThanOrEqual(0);
      expect(Number.isInteger(t.token_id)).toBe(true);
    }
  });

  test("telemetry with n > 1 carries the batch's marginal entropy per position, at least the rows' mean entropy", async () => {
    const out = await complete({ seed: 2, n: 3, telemetry: true, max_tokens: 8, entropy: { mode: "exact", target: 3 } });
    const rows = out.choices.map((c) => c.telemetry!);
    for (let t = 0; t < rows[0]!.length; t++) {
      const here = rows.filter((r) => r.length > t).map((r) => r[t]!);
      const marginal = here[0]!.marginal_entropy!;
      for (const entry of here) expect(entry.marginal_entropy).toBe(marginal);
      // concavity of entropy: H(mean p) >= mean H(p)
      expect(marginal).toBeGreaterThanOrEqual(here.reduce((s, e) => s + e.entropy, 0) / here.length - 1e-4);
      expect(marginal).toBeLessThanOrEqual(Math.log(model.spec.vocabSize) + 1e-4);
    }
    const single = await complete({ seed: 2, telemetry: true });
    for (const entry of single.choices[0]!.telemetry!) expect(entry).not.toHaveProperty("marginal_entropy");
  });

  test("an unknown model is a 404 naming the served one", async () => {
    const res = await post(app, "/v1/completions", { model: "gpt-4", prompt: PROMPT });
    expect(res.status).toBe(404);
    const error = await errorOf(res);
    expect(error).toMatchObject({ param: "model", code: "model_not_found" });
    expect(error.message).toContain(model.name);
  });
});
