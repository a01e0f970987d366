import { Template } from "@huggingface/jinja";
import { describe, expect, test } from "vitest";
import { errorOf, nodeModel, post, sseData, testApp } from "./helpers/http.js";

interface ChatCompletion {
  id: string;
  object: string;
  choices: {
    index: number;
    message: { role: string; content: string };
    finish_reason: string;
    logprobs: { content: { token: string; logprob: number; bytes: number[]; top_logprobs: { token: string; logprob: number }[] }[] } | null;
    telemetry?: { text: string }[];
  }[];
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
  entropy: { requested_mode: string; mode: string; seed: number };
}

interface ChatChunk {
  object: string;
  choices: { index: number; delta: { role?: string; content?: string }; finish_reason: string | null }[];
  entropy?: { mode: string; seed: number };
}

const MESSAGES = [
  { role: "system", content: "Answer in the words of the King James Bible." },
  {
    role: "user",
    content: [
      { type: "text", text: "Who begat " },
      { type: "text", text: "Isaac?" },
    ],
  },
];

const app = await testApp();
const model = await nodeModel();
const chat = (body: object) => post(app, "/v1/chat/completions", { model: model.name, messages: MESSAGES, max_tokens: 6, ...body });

describe("POST /v1/chat/completions", () => {
  test("renders the messages through the model's chat template and answers as the assistant", async () => {
    const res = await chat({ seed: 1 });
    expect(res.status).toBe(200);
    const out = (await res.json()) as ChatCompletion;
    expect(out.object).toBe("chat.completion");
    expect(out.id).toMatch(/^chatcmpl-/);
    expect(out.choices[0]!.message.role).toBe("assistant");
    expect(out.choices[0]!.logprobs).toBeNull();
    const prompt = new Template(model.tokenizer.chatTemplate!).render({
      messages: [
        { role: "system", content: MESSAGES[0]!.content },
        { role: "user", content: "Who begat Isaac?" },
      ],
      add_generation_prompt: true,
    });
    expect(prompt.endsWith("Assistant:")).toBe(true);
    expect(out.usage.prompt_tokens).toBe(model.tokenizer.encode(prompt).length);
    expect(out.entropy).toMatchObject({ requested_mode: "fixed", mode: "fixed", seed: 1 });
  });

  test("max_completion_tokens takes precedence over max_tokens", async () => {
    const out = (await (await chat({ seed: 2, max_tokens: 9, max_completion_tokens: 2, stop: [] })).json()) as ChatCompletion;
    expect(out.usage.completion_tokens).toBeLessThanOrEqual(2);
  });

  test("logprobs and top_logprobs in the chat shape", async () => {
    const out = (await (await chat({ seed: 3, logprobs: true, top_logprobs: 2 })).json()) as ChatCompletion;
    const content = out.choices[0]!.logprobs!.content;
    expect(content).toHaveLength(out.usage.completion_tokens);
    for (const entry of content) {
      expect(entry.logprob).toBeLessThanOrEqual(0);
      expect(entry.bytes).toEqual(Array.from(new TextEncoder().encode(entry.token)));
      expect(entry.top_logprobs.length).toBeLessThanOrEqual(2);
    }
    const bare = (await (await chat({ seed: 3, logprobs: true })).json()) as ChatCompletion;
    expect(bare.choices[0]!.logprobs!.content.every((e) => e.top_logprobs.length === 0)).toBe(true);
  });

  test("top_logprobs without logprobs is a 400", async () => {
    const res = await chat({ top_logprobs: 2 });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).param).toBe("top_logprobs");
  });

  test("streams a role chunk per choice, content deltas, finish reasons and [DONE]", async () => {
    const res = await chat({ seed: 4, n: 2, stream: true, telemetry: true });
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toMatch(/^text\/event-stream/);
    const data = await sseData(res);
    expect(data.at(-1)).toBe("[DONE]");
    const chunks = data.slice(0, -1) as ChatChunk[];
    expect(chunks.every((c) => c.object === "chat.completion.chunk")).toBe(true);
    expect(chunks.slice(0, 2).map((c) => [c.choices[0]!.index, c.choices[0]!.delta.role])).toEqual([
      [0, "assistant"],
      [1, "assistant"],
    ]);
    expect(chunks[0]!.entropy).toMatchObject({ mode: "fixed", seed: 4 });
    const whole = (await (await chat({ seed: 4, n: 2 })).json()) as ChatCompletion;
    for (const index of [0, 1]) {
      const mine = chunks.slice(2).filter((c) => c.choices[0]!.index === index);
      expect(mine.map((c) => c.choices[0]!.delta.content).join("")).toBe(whole.choices[index]!.message.content);
      expect(mine.at(-1)!.choices[0]!.finish_reason).toBe(whole.choices[index]!.finish_reason);
      expect(mine.every((c) => "telemetry" in c.choices[0]!)).toBe(true);
    }
  });

  test("stream_options.include_usage adds a final usage chunk", async () => {
    const data = await sseData(await chat({ seed: 5, stream: true, stream_options: { include_usage: true } }));
    const last = data.at(-2) as { choices: unknown[]; usage: { completion_tokens: number } };
    expect(last.choices).toEqual([]);
    expect(last.usage.completion_tokens).toBe(data.length - 3);
  });
});
