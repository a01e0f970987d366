/**
 * The official `openai` client against the Node server (the Worker's app on onnxruntime-node,
 * over an asset tree built by scripts/build-assets.mjs): the wire format is what real clients
 * parse, and the extension fields ride along as extra body fields.
 */
import type { AddressInfo } from "node:net";
import { serve, type ServerType } from "@hono/node-server";
import OpenAI from "openai";
import { afterAll, describe, expect, test } from "vitest";
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
