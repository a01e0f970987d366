/**
 * The real Worker in workerd (wrangler's unstable_startWorker over wrangler.toml: the [build]
 * step, the ASSETS binding, onnxruntime-web's wasm as a deploy-time module), driven over HTTP.
 * The heavy lifting is covered against the Node backend; this proves the edge wiring.
 */
import { readFileSync } from "node:fs";
import { afterAll, describe, expect, test } from "vitest";
import { unstable_startWorker } from "wrangler";
import { TEST_MODEL, TEST_MODEL_DIR } from "./helpers/model.js";
import { validationCases } from "./helpers/validation-cases.js";

const API_KEY = "worker-test-key";
const STREAM_IDLE_MS = 1500;
// Miniflare would otherwise fetch Request.cf metadata from the network at start.
process.env["CLOUDFLARE_CF_FETCH_ENABLED"] = "false";
const worker = await unstable_startWorker({
  config: "wrangler.toml",
  // A short idle limit, so that streams dropped by their client free their slots within the test.
  bindings: { MODEL: { type: "plain_text", value: TEST_MODEL }, API_KEY: { type: "plain_text", value: API_KEY }, STREAM_IDLE_MS: { type: "plain_text", value: String(STREAM_IDLE_MS) } },
  sendMetrics: false,
  dev: { server: { hostname: "127.0.0.1", port: 0 }, inspector: false, watch: false, persist: false, logLevel: "warn" },
});
afterAll(() => worker.dispose());

const auth = { Authorization: `Bearer ${API_KEY}` };
const post = (path: string, body: unknown, headers: Record<string, string> = auth) =>
  worker.fetch(`http://worker${path}`, { method: "POST", headers: { "Content-Type": "application/json", ...headers }, body: JSON.stringify(body) });
const health = (await (await worker.fetch("http://worker/healthz")).json()) as { status: string; model: string; model_id: string };
const get = async (path: string) => (await worker.fetch(`http://worker${path}`, { headers: auth })).json() as Promise<Record<string, unknown>>;
const running = async () => ((await get("/healthz")) as { running: number }).running;
// The limits wrangler.toml sets for the Worker.
const limits = { maxPromptTokens: 512, maxN: 8, maxTokens: 1000 };

describe("the Worker in workerd", () => {
  test("/healthz loads the model from ASSETS", () => {
    expect(health).toMatchObject({ status: "ok", model: TEST_MODEL });
    expect(health.model_id).toMatch(/^[0-9a-f]{16}$/);
  });

  test("a completion, with the entropy report and telemetry", async () => {
    const res = await post("/v1/completions", { model: health.model, prompt: "And it came to pass", max_tokens: 5, seed: 3, telemetry: true, entropy: { mode: "exact", target: 2.5 } });
    expect(res.status).toBe(200);
    const out = (await res.json()) as { system_fingerprint: string; choices: { text: string; telemetry: { text: string }[] }[]; entropy: object };
    expect(out.system_fingerprint).toBe(health.model_id);
    // The prompt's probe runs in workerd too: 8 shadow rows over the 5 positions the request decodes.
    expect(out.entropy).toEqual({ requested_mode: "exact", mode: "exact", seed: 3, probe: { rows: 8, positions: 5, divergence: expect.any(Number) } });
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

  test("/v1/models and /v1/schedules describe the loaded model and its fitted data", async () => {
    const models = (await get("/v1/models")) as { data: { id: string }[] };
    expect(models.data.map((m) => m.id)).toContain(health.model);
    const schedules = (await get("/v1/schedules")) as { model_id: string; schedules: { target: number }[]; calibration: { statistic: string } | null };
    expect(schedules.model_id).toBe(health.model_id);
    expect(schedules.schedules.length).toBeGreaterThanOrEqual(1);
    // the shipped proxy calibration is loaded with the schedules (see the proxy test below)
    expect(schedules.calibration?.statistic).toEqual(expect.any(String));
  });

  test("every mode runs in workerd, and says which mode ran", async () => {
    const modes = [{ mode: "fixed" }, { mode: "exact", target: 3 }, { mode: "marginal", target: 4 }, { mode: "mirostat", tau: 3 }, { mode: "schedule", target: 3.5 }];
    for (const entropy of modes) {
      const res = await post("/v1/completions", { model: health.model, prompt: "And it came to pass", max_tokens: 4, n: 2, seed: 1, telemetry: true, entropy });
      expect(res.status, entropy.mode).toBe(200);
      const out = (await res.json()) as { entropy: { mode: string; requested_mode: string }; choices: { telemetry: { temperature: number }[] }[] };
      expect(out.entropy).toMatchObject({ requested_mode: entropy.mode, mode: entropy.mode });
      expect(out.choices).toHaveLength(2);
      for (const c of out.choices) expect(c.telemetry.every((t) => t.temperature > 0)).toBe(true);
    }
  });

  test("proxy runs on the shipped calibration, with no notice", async () => {
    const res = await post("/v1/completions", { model: health.model, prompt: "And it came to pass", max_tokens: 4, seed: 1, telemetry: true, entropy: { mode: "proxy", target: 5 } });
    expect(res.status).toBe(200);
    const out = (await res.json()) as { entropy: { mode: string; requested_mode: string; notice?: string }; choices: { telemetry: { entropy_estimate: number | null }[] }[] };
    expect(out.entropy).toMatchObject({ requested_mode: "proxy", mode: "proxy" });
    expect(out.entropy.notice).toBeUndefined();
    // the proxy's estimate is the calibration table's entropy at the chosen T: a finite number of nats
    for (const t of out.choices[0]!.telemetry) expect(t.entropy_estimate).toBeGreaterThan(0);
  });

  test("schedule mode outside the fitted targets is a 400 naming the range", async () => {
    const res = await post("/v1/completions", { model: health.model, prompt: "x", entropy: { mode: "schedule", target: 8 } });
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: { param: string; message: string } };
    expect(error.param).toBe("entropy.target");
    expect(error.message).toMatch(/fitted schedule range \[3\.5, [\d.]+\]/);
  });

  test("streamed telemetry arrives with its tokens", async () => {
    const res = await post("/v1/completions", { model: health.model, prompt: "And it came to pass", max_tokens: 6, seed: 4, stream: true, telemetry: true, entropy: { mode: "exact", target: 3 } });
    const chunks = (await res.text())
      .split("\n\n")
      .filter((e) => e.startsWith("data: {"))
      .map((e) => JSON.parse(e.slice(6)) as { choices: { text: string; telemetry?: { text: string }[] }[] });
    const text = chunks.map((c) => c.choices[0]?.text ?? "").join("");
    const telemetry = chunks.flatMap((c) => c.choices[0]?.telemetry ?? []);
    expect(telemetry).toHaveLength(6);
    expect(telemetry.map((t) => t.text).join("")).toBe(text);
  });

  test("other requests are served while a generation streams (the loop yields between tokens)", async () => {
    expect(await running()).toBe(0);
    // over a real socket: worker.fetch goes through a proxy that may buffer the whole body
    const res = await fetch(new URL("/v1/completions", await worker.url), {
      method: "POST",
      headers: { "Content-Type": "application/json", ...auth },
      body: JSON.stringify({ model: health.model, prompt: "And it came to pass", max_tokens: 300, stream: true, seed: 5 }),
    });
    const reader = res.body!.getReader();
    await reader.read();
    // answered mid-generation, not after it: the generation is still counted as running
    expect(await running()).toBe(1);
    let rest = "";
    for (let r = await reader.read(); !r.done; r = await reader.read()) rest += new TextDecoder().decode(r.value);
    expect(rest.trimEnd().endsWith("data: [DONE]")).toBe(true);
    expect(await running()).toBe(0);
  });

  test("4 streams dropped by their client free their slots: a new request succeeds within 5 s", async () => {
    expect(await running()).toBe(0);
    const url = new URL("/v1/completions", await worker.url);
    for (let seed = 0; seed < 4; seed++) {
      const abort = new AbortController();
      const res = await fetch(url, {
        method: "POST",
        headers: { "Content-Type": "application/json", ...auth },
        body: JSON.stringify({ model: health.model, prompt: "And it came to pass", max_tokens: 1000, stream: true, seed }),
        signal: abort.signal,
      });
      expect(res.status).toBe(200);
      await res.body!.getReader().read();
      abort.abort();
    }
    // Whether or not the runtime reports the disconnect (request.signal), the gate takes back the
    // slots once they have been idle for STREAM_IDLE_MS, on behalf of the next request.
    const dropped = Date.now();
    let status = 0;
    while (status !== 200 && Date.now() - dropped < 5000) {
      status = (await post("/v1/completions", { model: health.model, prompt: "x", max_tokens: 1 })).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(200);
    expect(Date.now() - dropped).toBeLessThan(5000);
    // and every slot is back within the same 5 s
    while ((await running()) > 0 && Date.now() - dropped < 5000) await new Promise((r) => setTimeout(r, 100));
    expect(await running()).toBe(0);
  });

  test("every answer is JSON: a 405 for other methods on static paths, a 413 for oversized bodies sent in quick succession", async () => {
    const page = await worker.fetch("http://worker/");
    expect(page.status).toBe(200);
    expect(page.headers.get("Content-Type")).toMatch(/^text\/html/);
    await page.arrayBuffer();
    for (const [method, path] of [
      ["PUT", "/"],
      ["DELETE", "/index.html"],
      ["POST", "/playground.js"],
    ] as const) {
      const res = await worker.fetch(`http://worker${path}`, { method, body: method === "DELETE" ? null : "x" });
      expect(res.status, `${method} ${path}`).toBe(405);
      expect(res.headers.get("Allow")).toBe("GET, HEAD");
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("method_not_allowed");
    }
    const missing = await worker.fetch("http://worker/no-such-page", { method: "POST", body: "x" });
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe("not_found");
    // over a real socket, 200 kB each, all at once
    const url = new URL("/v1/completions", await worker.url);
    const big = JSON.stringify({ model: health.model, prompt: "x".repeat(200_000) });
    const answers = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const res = await fetch(url, { method: "POST", headers: { "Content-Type": "application/json", ...auth }, body: big });
        return { status: res.status, code: ((await res.json()) as { error: { code: string } }).error.code };
      }),
    );
    for (const a of answers) expect(a).toEqual({ status: 413, code: "request_too_large" });
  });

  const cases = validationCases({ name: health.model, vocabSize: (JSON.parse(readFileSync(`${TEST_MODEL_DIR}/config.json`, "utf8")) as { vocab_size: number }).vocab_size, limits });
  test.each(cases.completion)("completions, bad field: %s", async (_label, body, param) => {
    const res = await post("/v1/completions", body);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { param: string | null } }).error.param).toBe(param);
  });
  test.each(cases.chat)("chat, bad field: %s", async (_label, body, param) => {
    const res = await post("/v1/chat/completions", body);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { param: string | null } }).error.param).toBe(param);
  });
});
