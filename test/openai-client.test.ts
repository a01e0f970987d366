/**
 * The official `openai` client against the Node server (the Worker's app on onnxruntime-node,
 * over an asset tree built by scripts/build-assets.mjs): the wire format is what real clients
 * parse, and the extension fields ride along as extra body fields.
 */
import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { type ServerType, serve } from "@hono/node-server";
import OpenAI from "openai";
import { afterAll, describe, expect, test } from "vitest";
import { DEFAULT_LIMITS } from "../src/http/limits.js";
import { chatRequestSchema, completionRequestSchema } from "../src/http/schemas.js";
import { createNodeApp } from "../src/node-app.js";
import { assetTree, nodeModel } from "./helpers/http.js";

interface Telemetry {
  token_id: number;
  text: string;
  temperature: number;
  entropy_estimate: number | null;
  entropy: number;
  logprob: number;
}

interface EntropyReport {
  requested_mode: string;
  mode: string;
  seed: number;
}

const API_KEY = "sk-isentropic-test";
const model = await nodeModel();
const tree = await assetTree(model.id);
await tree.build();
const server: ServerType = await new Promise((ready) => {
  const s = serve({ fetch: createNodeApp(tree.out, { MODEL: model.name, API_KEY }).fetch, port: 0, hostname: "127.0.0.1" }, () => ready(s));
});
afterAll(async () => {
  await new Promise((done) => server.close(done));
  await tree.remove();
});
const { port } = server.address() as AddressInfo;
const client = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: API_KEY, maxRetries: 0 });
const entropy = { mode: "exact", target: 2.5 };
/** isentropic's extension fields, typed so the client's param types let them through as extra body fields. */
const extensions = (fields: Record<string, unknown>): object => fields;

describe("the openai client", () => {
  test("lists the model", async () => {
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual([model.name]);
  });

  test("completions with entropy and telemetry as extra body fields", async () => {
    const completion = await client.completions.create({
      model: model.name,
      prompt: "And it came to pass",
      max_tokens: 6,
      seed: 17,
      ...extensions({ entropy, telemetry: true }),
    });
    const report = (completion as unknown as { entropy: EntropyReport }).entropy;
    // No calibration in this app: exact says its target is each row's conditional entropy.
    expect(report).toEqual({ requested_mode: "exact", mode: "exact", seed: 17, notice: expect.stringMatching(/conditional entropy/) });
    const choice = completion.choices[0]!;
    const telemetry = (choice as unknown as { telemetry: Telemetry[] }).telemetry;
    expect(telemetry).toHaveLength(completion.usage!.completion_tokens);
    expect(telemetry.map((t) => t.text).join("")).toBe(choice.text);
  });

  test("streamed completions carry per-chunk telemetry", async () => {
    const stream = await client.completions.create({
      model: model.name,
      prompt: "And it came to pass",
      max_tokens: 6,
      seed: 17,
      stream: true,
      ...extensions({ entropy, telemetry: true }),
    });
    let text = "";
    let telemetered = "";
    let first: EntropyReport | undefined;
    for await (const chunk of stream) {
      first ??= (chunk as unknown as { entropy?: EntropyReport }).entropy;
      text += chunk.choices[0]!.text;
      telemetered += (chunk.choices[0] as unknown as { telemetry: Telemetry[] }).telemetry.map((t) => t.text).join("");
    }
    expect(first).toMatchObject({ mode: "exact", seed: 17 });
    expect(telemetered).toBe(text);
    const whole = await client.completions.create({
      model: model.name,
      prompt: "And it came to pass",
      max_tokens: 6,
      seed: 17,
      ...extensions({ entropy }),
    });
    expect(text).toBe(whole.choices[0]!.text);
  });

  test("chat completions, whole and streamed, agree for one seed", async () => {
    const messages = [{ role: "user" as const, content: "Who made the heaven and the earth?" }];
    const whole = await client.chat.completions.create({ model: model.name, messages, max_tokens: 6, seed: 4, n: 2 });
    expect(whole.choices).toHaveLength(2);
    expect(whole.choices[0]!.message.role).toBe("assistant");
    const stream = await client.chat.completions.create({ model: model.name, messages, max_tokens: 6, seed: 4, n: 2, stream: true, stream_options: { include_usage: true } });
    const content = ["", ""];
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      for (const choice of chunk.choices) content[choice.index] += choice.delta.content ?? "";
      usage ??= chunk.usage;
    }
    expect(content).toEqual(whole.choices.map((c) => c.message.content));
    expect(usage).toEqual(whole.usage);
  });

  test("chat with telemetry and logprobs round-trips", async () => {
    const chat = await client.chat.completions.create({
      model: model.name,
      messages: [{ role: "user", content: "Hi" }],
      max_tokens: 4,
      logprobs: true,
      top_logprobs: 2,
      ...extensions({ entropy: { mode: "mirostat", tau: 3 }, telemetry: true }),
    });
    const choice = chat.choices[0]!;
    expect(choice.logprobs!.content).toHaveLength(chat.usage!.completion_tokens);
    const telemetry = (choice as unknown as { telemetry: Telemetry[] }).telemetry;
    expect(telemetry.map((t) => t.logprob)).toEqual(choice.logprobs!.content!.map((c) => c.logprob));
  });

  test("logit_bias of -100 on the greedy token changes the output, and that token never appears", async () => {
    const prompt = "And it came to pass";
    const greedy = await client.completions.create({ model: model.name, prompt, max_tokens: 20, temperature: 0, ...extensions({ telemetry: true }) });
    const first = (greedy.choices[0] as unknown as { telemetry: Telemetry[] }).telemetry[0]!;
    // Telemetry tells the truth about greedy decoding.
    expect(first.temperature).toBe(0);
    const banned = first.token_id;
    const biased = await client.completions.create({
      model: model.name,
      prompt,
      max_tokens: 20,
      temperature: 0,
      logit_bias: { [banned]: -100 },
      ...extensions({ telemetry: true }),
    });
    expect(biased.choices[0]!.text).not.toBe(greedy.choices[0]!.text);
    const sampled = await client.completions.create({
      model: model.name,
      prompt,
      max_tokens: 60,
      n: 4,
      seed: 3,
      logit_bias: { [banned]: -100 },
      ...extensions({ entropy: { mode: "exact", target: 4 }, telemetry: true }),
    });
    for (const choice of [...biased.choices, ...sampled.choices]) {
      expect((choice as unknown as { telemetry: Telemetry[] }).telemetry.map((t) => t.token_id)).not.toContain(banned);
    }
  });

  test("greedy: telemetry and logprobs describe the one-token distribution each token is drawn from", async () => {
    const greedy = await client.completions.create({ model: model.name, prompt: "And the LORD said", max_tokens: 5, temperature: 0, logprobs: 2, ...extensions({ telemetry: true }) });
    const choice = greedy.choices[0]!;
    const telemetry = (choice as unknown as { telemetry: Telemetry[] }).telemetry;
    expect(telemetry.map((t) => [t.temperature, t.entropy, t.logprob])).toEqual(Array(5).fill([0, 0, 0]));
    expect(choice.logprobs!.token_logprobs).toEqual([0, 0, 0, 0, 0]);
    expect(choice.logprobs!.top_logprobs).toEqual(choice.logprobs!.tokens!.map((token) => ({ [token]: 0 })));
  });

  test("a frequency penalty lowers repeated 4-grams at low temperature", async () => {
    const repeated = async (frequency_penalty: number): Promise<number> => {
      const completion = await client.completions.create({
        model: model.name,
        prompt: "And the LORD said",
        max_tokens: 150,
        temperature: 0.3,
        seed: 5,
        n: 2,
        frequency_penalty,
        ...extensions({ telemetry: true }),
      });
      let count = 0;
      for (const choice of completion.choices) {
        const ids = (choice as unknown as { telemetry: Telemetry[] }).telemetry.map((t) => t.token_id);
        const seen = new Set<string>();
        for (let i = 0; i + 4 <= ids.length; i++) {
          const gram = ids.slice(i, i + 4).join(",");
          if (seen.has(gram)) count++;
          seen.add(gram);
        }
      }
      return count;
    };
    const plain = await repeated(0);
    const penalized = await repeated(1);
    expect(plain).toBeGreaterThan(10);
    expect(penalized).toBeLessThan(plain / 2);
  });

  test("ignore_eos returns exactly max_tokens tokens; min_tokens holds end-of-sequence back", async () => {
    // At this seed, sampling at T = 1 from this prompt ends at end-of-text well before 200 tokens
    // (greedy never does: it loops).
    const request = { model: model.name, prompt: "And the LORD said", max_tokens: 200, temperature: 1, seed: 3 };
    const plain = await client.completions.create(request);
    expect(plain.usage!.completion_tokens).toBeLessThan(200);
    expect(plain.choices[0]!.finish_reason).toBe("stop");
    const ignoring = await client.completions.create({ ...request, ...extensions({ ignore_eos: true }) });
    expect(ignoring.usage!.completion_tokens).toBe(200);
    expect(ignoring.choices[0]!.finish_reason).toBe("length");
    const held = await client.completions.create({ ...request, ...extensions({ min_tokens: plain.usage!.completion_tokens + 5 }) });
    expect(held.usage!.completion_tokens).toBeGreaterThanOrEqual(plain.usage!.completion_tokens + 5);
  });

  test("presence and repetition penalties change greedy output", async () => {
    const request = { model: model.name, prompt: "And the LORD said", max_tokens: 40, temperature: 0 };
    const plain = (await client.completions.create(request)).choices[0]!.text;
    expect((await client.completions.create({ ...request, presence_penalty: 2 })).choices[0]!.text).not.toBe(plain);
    expect((await client.completions.create({ ...request, ...extensions({ repetition_penalty: 1.5 }) })).choices[0]!.text).not.toBe(plain);
  });

  test("stream_options.include_usage streams a usage chunk for completions", async () => {
    const stream = await client.completions.create({ model: model.name, prompt: "And", max_tokens: 5, seed: 2, stream: true, stream_options: { include_usage: true } });
    const usages = [];
    for await (const chunk of stream) if (chunk.usage) usages.push(chunk.usage);
    expect(usages).toHaveLength(1);
    expect(usages[0]!.completion_tokens).toBeGreaterThan(0);
  });

  test("echo puts the prompt before the completion; best_of returns the n most likely rows", async () => {
    const prompt = "In the beginning";
    const echoed = await client.completions.create({ model: model.name, prompt, max_tokens: 5, seed: 9, echo: true });
    const plain = await client.completions.create({ model: model.name, prompt, max_tokens: 5, seed: 9 });
    expect(echoed.choices[0]!.text).toBe(prompt + plain.choices[0]!.text);
    const request = { model: model.name, prompt, max_tokens: 8, seed: 9, logprobs: 0 };
    const all = await client.completions.create({ ...request, n: 4 });
    const best = await client.completions.create({ ...request, n: 1, best_of: 4 });
    const cumulative = (c: OpenAI.CompletionChoice) => c.logprobs!.token_logprobs!.reduce((a, b) => a + b, 0);
    const top = [...all.choices].sort((a, b) => cumulative(b) - cumulative(a))[0]!;
    expect(best.choices).toHaveLength(1);
    expect(best.choices[0]!.text).toBe(top.text);
    expect(best.usage!.completion_tokens).toBe(all.usage!.completion_tokens);
  });

  test("what cannot be honoured is refused by name", async () => {
    const messages = [{ role: "user" as const, content: "Hi" }];
    const tool = { type: "function" as const, function: { name: "f", parameters: {} } };
    // Thunks, not promises: a request started before its turn rejects with no handler attached yet
    // (an unhandled rejection that fails the run even though every assertion passes).
    const refused: [() => Promise<unknown>, string][] = [
      [() => client.chat.completions.create({ model: model.name, messages, tools: [tool] }), "tools"],
      [() => client.chat.completions.create({ model: model.name, messages, tool_choice: "auto" }), "tool_choice"],
      [() => client.chat.completions.create({ model: model.name, messages, response_format: { type: "json_object" } }), "response_format"],
      [() => client.chat.completions.create({ model: model.name, messages, modalities: ["text", "audio"] }), "modalities"],
      [() => client.chat.completions.create({ model: model.name, messages, ...extensions({ functions: [tool.function] }) }), "functions"],
      [() => client.chat.completions.create({ model: model.name, messages, audio: { voice: "alloy", format: "mp3" } }), "audio"],
      [() => client.chat.completions.create({ model: model.name, messages, web_search_options: {} }), "web_search_options"],
      [() => client.chat.completions.create({ model: model.name, messages, reasoning_effort: "high" }), "reasoning_effort"],
      [() => client.chat.completions.create({ model: model.name, messages, verbosity: "low" }), "verbosity"],
      [() => client.chat.completions.create({ model: model.name, messages, ...extensions({ moderation: { input: true } }) }), "moderation"],
      [() => client.completions.create({ model: model.name, prompt: "x", suffix: "y" }), "suffix"],
      [() => client.completions.create({ model: model.name, prompt: "x", logit_bias: { "99999": -100 } }), "logit_bias"],
      [() => client.completions.create({ model: model.name, prompt: "x", presence_penalty: 3 }), "presence_penalty"],
      [() => client.completions.create({ model: model.name, prompt: "x", n: 2, best_of: 1 }), "best_of"],
      [() => client.completions.create({ model: model.name, prompt: "x", max_tokens: 4, ...extensions({ min_tokens: 5 }) }), "min_tokens"],
    ];
    for (const [request, param] of refused) await expect(request()).rejects.toMatchObject({ status: 400, param });
    const text = await client.chat.completions.create({ model: model.name, messages, max_tokens: 2, response_format: { type: "text" } });
    expect(text.choices).toHaveLength(1);
    const bookkeeping = { store: true, metadata: { run: "1" }, service_tier: "auto" as const, prompt_cache_key: "k", parallel_tool_calls: false };
    const plain = await client.chat.completions.create({ model: model.name, messages, max_tokens: 4, seed: 1 });
    const kept = await client.chat.completions.create({ model: model.name, messages, max_tokens: 4, seed: 1, ...bookkeeping });
    expect(kept.choices[0]!.message.content).toBe(plain.choices[0]!.message.content);
  });

  test("every field of the client's request types is known to the schema: honoured, refused, or accepted without effect", () => {
    /** The fields of `interface name` in one of the client's declaration files. */
    const fieldsOf = (file: string, name: string): string[] => {
      const text = readFileSync(join("node_modules/openai/resources", file), "utf8");
      const body = text.slice(text.indexOf(`export interface ${name} {`));
      return [...body.slice(0, body.indexOf("\n}")).matchAll(/^ {4}([a-z_]+)\??:/gm)].map((m) => m[1]!);
    };
    const chat = fieldsOf("chat/completions/completions.d.ts", "ChatCompletionCreateParamsBase");
    const completions = fieldsOf("completions.d.ts", "CompletionCreateParamsBase");
    expect(chat).toEqual(expect.arrayContaining(["messages", "tools", "logit_bias", "store"]));
    expect(completions).toEqual(expect.arrayContaining(["prompt", "suffix", "best_of"]));
    expect(Object.keys(chatRequestSchema(DEFAULT_LIMITS).entries)).toEqual(expect.arrayContaining(chat));
    expect(Object.keys(completionRequestSchema(DEFAULT_LIMITS).entries)).toEqual(expect.arrayContaining(completions));
  });

  test("errors surface as typed client errors with the field", async () => {
    const bad = client.completions.create({
      model: model.name,
      prompt: "x",
      ...extensions({ entropy: { mode: "exact" } }),
    });
    await expect(bad).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    await expect(bad).rejects.toMatchObject({ status: 400, param: "entropy.target" });
    const anonymous = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: "wrong", maxRetries: 0 });
    await expect(anonymous.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });
});
