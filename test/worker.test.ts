/**
 * The real Worker in workerd (wrangler's unstable_startWorker over wrangler.toml: the [build]
 * step, the ASSETS binding, onnxruntime-web's wasm as a deploy-time module), driven over HTTP.
 * The heavy lifting is covered against the Node backend; this proves the edge wiring.
 */
import { afterAll, describe, expect, test } from "vitest";
import { unstable_startWorker } from "wrangler";

const API_KEY = "worker-test-key";
// Miniflare would otherwise fetch Request.cf metadata from the network at start.
process.env["CLOUDFLARE_CF_FETCH_ENABLED"] = "false";
const worker = await unstable_startWorker({
  config: "wrangler.toml",
  bindings: { API_KEY: { type: "plain_text", value: API_KEY } },
  sendMetrics: false,
  dev: { server: { hostname: "127.0.0.1", port: 0 }, inspector: false, watch: false, persist: false, logLevel: "warn" },
});
afterAll(() => worker.dispose());

const auth = { Authorization: `Bearer ${API_KEY}` };
const post = (path: string, body: unknown, headers: Record<string, string> = auth) =>
  worker.fetch(`http://worker${path}`, { method: "POST", headers: { "Content-Type": "application/json", ...headers }, body: JSON.stringify(body) });
const health = (await (await worker.fetch("http://worker/healthz")).json()) as { status: string; model: string; model_id: string };

describe("the Worker in workerd", () => {
  test("/healthz loads the model from ASSETS", () => {
    expect(health).toMatchObject({ status: "ok", model: "kjv-gpt2-4m" });
    expect(health.model_id).toMatch(/^[0-9a-f]{16}$/);
  });

  test("a completion, with the entropy report and telemetry", async () => {
    const res = await post("/v1/completions", { model: health.model, prompt: "And it came to pass", max_tokens: 5, seed: 3, telemetry: true, entropy: { mode: "exact", target: 2.5 } });
    expect(res.status).toBe(200);
    const out = (await res.json()) as { system_fingerprint: string; choices: { text: string; telemetry: { text: string }[] }[]; entropy: object };
    expect(out.system_fingerprint).toBe(health.model_id);
    expect(out.entropy).toEqual({ requested_mode: "exact", mode: "exact", seed: 3 });
    expect(out.choices[0]!.telemetry.map((t) => t.text).join("")).toBe(out.choices[0]!.text);
  });

  test("a streamed chat completion ends with [DONE] and matches the whole one", async () => {
    const body = { model: health.model, messages: [{ role: "user", content: "Hi" }], max_tokens: 5, seed: 9 };
    const res = await post("/v1/chat/completions", { ...body, stream: true });
    expect(res.headers.get("Content-Type")).toMatch(/^text\/event-stream/);
    const events = (await res.text()).split("\n\n").filter(Boolean);
    expect(events.at(-1)).toBe("data: [DONE]");
    const content = events
      .slice(0, -1)
      .map((e) => JSON.parse(e.slice("data: ".length)) as { choices: { delta: { content?: string } }[] })
      .map((c) => c.choices[0]?.delta.content ?? "")
      .join("");
    const whole = (await (await post("/v1/chat/completions", body)).json()) as { choices: { message: { content: string } }[] };
    expect(content).toBe(whole.choices[0]!.message.content);
  });

  test("a bad field is a 400 naming it", async () => {
    const res = await post("/v1/completions", { model: health.model, prompt: "x", entropy: { mode: "exact", target: -1 } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { param: string } }).error.param).toBe("entropy.target");
  });

  test("API_KEY is enforced on /v1", async () => {
    expect((await post("/v1/completions", { model: health.model, prompt: "x" }, {})).status).toBe(401);
    expect((await worker.fetch("http://worker/v1/models", { headers: auth })).status).toBe(200);
  });
});
