/**
 * The playground (public/, served by the Worker at /) in real headless Chromium against the real
 * Worker in workerd: a streamed proxy-mode generation with n = 4 shows exactly the text and the
 * telemetry the API streamed, the charts hold one point per token per sample, the telemetry
 * downloads, an API error is shown in the page, and the page fits a phone. Writes
 * docs/playground.png, the README's screenshot.
 */
import { mkdir, readFile } from "node:fs/promises";
import type { Browser, Page, Request, Response } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { EntropyReport, TelemetryEntry } from "../src/http/report.js";
import { launchChromium, requireChromium, startLocalWorker } from "./helpers/browser.js";

interface Chunk {
  choices: { index: number; text: string; telemetry?: TelemetryEntry[] }[];
  entropy?: EntropyReport;
}

const MAX_TOKENS = 32;
const N = 4;

let worker: Awaited<ReturnType<typeof startLocalWorker>>;
let browser: Browser;
let base: string;

beforeAll(async () => {
  requireChromium();
  [worker, browser] = await Promise.all([startLocalWorker(), launchChromium()]);
  base = (await worker.url).href;
}, 600_000);
afterAll(async () => {
  await browser?.close();
  await worker?.dispose();
});

/** A page of the playground, once it has described the served model (the first call loads it). */
async function openPlayground(viewport = { width: 1280, height: 900 }): Promise<Page> {
  const page = await browser.newPage({ viewport, acceptDownloads: true });
  // The Worker is one thread shared with the previous test's generation: on a loaded machine "load" can take more than the default 30 s.
  await page.goto(base, { timeout: 60_000 });
  // (page code as strings: the project's types are the Worker's, not the DOM's)
  await page.waitForFunction('!document.getElementById("target-hint").textContent.startsWith("Loading")', null, { timeout: 60_000 });
  return page;
}

/** The SSE body as the API sent it: rows of text and telemetry, and the entropy report. */
function parseStream(body: string) {
  const chunks = body
    .split("\n\n")
    .filter((e) => e.startsWith("data: {"))
    .map((e) => JSON.parse(e.slice(6)) as Chunk);
  const rows = Array.from({ length: N }, () => ({ text: "", telemetry: [] as TelemetryEntry[] }));
  for (const c of chunks) {
    for (const choice of c.choices) {
      rows[choice.index]!.text += choice.text;
      rows[choice.index]!.telemetry.push(...(choice.telemetry ?? []));
    }
  }
  return { rows, entropy: chunks.find((c) => c.entropy)!.entropy! };
}

const fmt = (x: number | null | undefined) => (x == null ? "–" : x.toFixed(3));

/** The run panel `label` shows exactly `api`'s text and telemetry, and its charts one point per token per sample. */
async function expectRunShows(page: Page, label: string, api: ReturnType<typeof parseStream>): Promise<void> {
  const run = page.locator(`article[data-run=${label}]`);
  await run.and(page.locator("[data-done=true]")).waitFor({ timeout: 60_000 });
  const lengths = api.rows.map((r) => r.telemetry.length).join(",");
  for (const chart of ["temperature", "entropy"]) {
    await expect.poll(() => run.locator(`[data-chart=${chart}]`).getAttribute("data-points")).toBe(lengths);
    await expect(run.locator(`[data-chart=${chart}] canvas`).count()).resolves.toBe(1);
  }
  for (let i = 0; i < N; i++) {
    const { text, telemetry } = api.rows[i]!;
    expect(telemetry.length).toBeGreaterThan(0);
    const tokens = run.locator(`.sample-text[data-sample="${i}"] .tok`);
    expect((await tokens.allTextContents()).join("")).toBe(text);
    const shown = await tokens.evaluateAll((spans) => spans.map((s) => ({ ...(s as unknown as { dataset: Record<string, string> }).dataset })));
    expect(shown).toEqual(
      telemetry.map((t) => ({
        token_id: String(t.token_id),
        temperature: String(t.temperature),
        entropy: String(t.entropy),
        entropy_estimate: String(t.entropy_estimate ?? ""),
        marginal_entropy: String(t.marginal_entropy ?? ""),
        logprob: String(t.logprob),
      })),
    );
    // n > 1: every token carries the batch's marginal entropy
    expect(telemetry.every((t) => typeof t.marginal_entropy === "number")).toBe(true);
    const last = telemetry.at(-1)!;
    const row = run.locator(`tr[data-sample="${i}"]`);
    expect(await row.locator("[data-k=tokens]").textContent()).toBe(String(telemetry.length));
    for (const key of ["temperature", "entropy", "entropy_estimate", "marginal_entropy"] as const) {
      expect(await row.locator(`[data-k=${key}]`).textContent(), key).toBe(fmt(last[key]));
    }
  }
  expect(await run.locator(".report").getAttribute("data-mode")).toBe(api.entropy.mode);
}

// Every test opens a page, whose own waits allow 60 s to load and 60 s to describe the model (the
// Worker is one thread, still finishing the previous test's generation), and some decode on wasm
// in the page (120 s): the global 60 s test timeout cut them first when the suite ran beside an eval.
describe("the playground in headless Chromium", { timeout: 180_000 }, () => {
  test("proxy mode, n = 4, beside fixed T: the text, telemetry and chart points shown are what the API streamed", async () => {
    const page = await openPlayground();
    await page.getByLabel("Prompt", { exact: true }).fill("And it came to pass");
    await page.getByLabel("Mode", { exact: true }).selectOption("proxy");
    await page.getByLabel("Target entropy (nats)", { exact: true }).fill("4");
    await page.getByLabel("Samples (n)", { exact: true }).fill(String(N));
    await page.getByLabel("Max tokens", { exact: true }).fill(String(MAX_TOKENS));
    await page.getByLabel("Seed", { exact: true }).fill("11");
    await page.getByLabel("Fixed T", { exact: true }).fill("1.2");
    await page.getByRole("checkbox", { name: /Side by side with fixed T/ }).check();
    const responses = new Map<string, Promise<Response>>();
    const sentMode = (r: Request) => (r.postDataJSON() as { entropy: { mode: string } }).entropy.mode;
    for (const mode of ["proxy", "fixed"]) {
      responses.set(
        mode,
        page.waitForResponse((r) => r.url().endsWith("/v1/completions") && sentMode(r.request()) === mode),
      );
    }
    // keyboard operable: Enter in a field submits the form
    await page.getByLabel("Seed", { exact: true }).press("Enter");
    const steered = await responses.get("proxy")!;
    const fixed = await responses.get("fixed")!;
    const common = { prompt: "And it came to pass", n: N, max_tokens: MAX_TOKENS, seed: 11, stream: true, telemetry: true };
    // an empty gain is left out, so proxy runs at the gain tuned with its calibration
    expect(steered.request().postDataJSON()).toEqual({ model: "kjv-gpt2-4m", ...common, entropy: { mode: "proxy", target: 4 } });
    expect(fixed.request().postDataJSON()).toEqual({ model: "kjv-gpt2-4m", ...common, entropy: { mode: "fixed" }, temperature: 1.2 });

    const steeredApi = parseStream(await steered.text());
    await expectRunShows(page, "steered", steeredApi);
    await expectRunShows(page, "fixed", parseStream(await fixed.text()));
    // the mode that ran and any substitution, as the API reported them
    const report = page.locator("article[data-run=steered] .report");
    expect(await report.getAttribute("data-mode")).toBe(steeredApi.entropy.mode);
    if (steeredApi.entropy.notice) await expect(report.textContent()).resolves.toContain(steeredApi.entropy.notice);
    if (steeredApi.entropy.mode !== "proxy") await expect(report.textContent()).resolves.toContain("requested proxy");

    const download = page.waitForEvent("download");
    await page.getByRole("button", { name: "Download CSV" }).click();
    const csv = (await readFile((await (await download).path())!, "utf8")).trimEnd().split("\n");
    expect(csv[0]).toBe("run,mode,sample,index,token_id,text,temperature,entropy_estimate,entropy,marginal_entropy,logprob");
    expect(csv.filter((line) => line.startsWith("steered,"))).toHaveLength(steeredApi.rows.reduce((s, r) => s + r.telemetry.length, 0));
    expect(csv[1]).toMatch(new RegExp(`^steered,${steeredApi.entropy.mode},0,0,${steeredApi.rows[0]!.telemetry[0]!.token_id},`));

    await mkdir("docs", { recursive: true });
    await page.screenshot({ path: "docs/playground.png", fullPage: true });
    await page.close();
  });

  test("an API error (schedule target outside the fitted range) is shown in the alert region", async () => {
    const page = await openPlayground();
    await page.getByLabel("Mode", { exact: true }).selectOption("schedule");
    await page.getByLabel("Target entropy (nats)", { exact: true }).fill("8");
    await page.getByLabel("Max tokens", { exact: true }).fill("8");
    const response = page.waitForResponse((r) => r.url().endsWith("/v1/completions"));
    await page.getByRole("button", { name: "Generate" }).click();
    const res = await response;
    expect(res.status()).toBe(400);
    const { error } = (await res.json()) as { error: { message: string; param: string } };
    const alert = page.getByRole("alert");
    await expect.poll(() => alert.textContent()).toContain(error.message);
    expect(await alert.textContent()).toContain(`field: ${error.param}`);
    expect(error.param).toBe("entropy.target");
    expect(await page.locator("article[data-run]").count()).toBe(0);
    await page.close();
  });

  test("run in this browser: the same engine on onnxruntime-web gives the Worker's tokens, and asks the server for none", async () => {
    const page = await openPlayground();
    const asked: string[] = [];
    page.on("request", (r) => {
      if (r.url().endsWith("/v1/completions")) asked.push(r.url());
    });
    await page.getByLabel("Mode", { exact: true }).selectOption("exact");
    await page.getByLabel("Target entropy (nats)", { exact: true }).fill("3");
    await page.getByLabel("Samples (n)", { exact: true }).fill("2");
    await page.getByLabel("Max tokens", { exact: true }).fill("8");
    await page.getByLabel("Seed", { exact: true }).fill("3");
    await page.getByRole("checkbox", { name: "Run in this browser" }).check();
    await page.getByRole("button", { name: "Generate" }).click();
    const run = page.locator("article[data-run=steered][data-local=true]");
    await run.and(page.locator("[data-done=true]")).waitFor({ timeout: 120_000 });
    expect(await page.getByRole("alert").textContent()).toBe("");
    expect(asked).toEqual([]);
    // Chromium here runs with --disable-gpu, so the engine says it fell back to wasm, and why
    expect(await run.getAttribute("data-backend")).toBe("wasm");
    await expect(run.locator(".report").textContent()).resolves.toMatch(/ran in this browser on wasm \(.+\)/);

    const body = { model: "kjv-gpt2-4m", prompt: "And it came to pass", max_tokens: 8, n: 2, seed: 3, telemetry: true, entropy: { mode: "exact", target: 3 } };
    const res = await worker.fetch(new URL("/v1/completions", base), { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    const server = (await res.json()) as { choices: { text: string; telemetry: TelemetryEntry[] }[] };
    for (let i = 0; i < 2; i++) {
      const tokens = run.locator(`.sample-text[data-sample="${i}"] .tok`);
      expect((await tokens.allTextContents()).join("")).toBe(server.choices[i]!.text);
      const ids = await tokens.evaluateAll((spans) => spans.map((s) => Number((s as unknown as { dataset: Record<string, string> }).dataset["token_id"])));
      expect(ids).toEqual(server.choices[i]!.telemetry.map((t) => t.token_id));
    }
    await page.close();
  });

  test("on a phone-sized viewport every control is labelled and nothing overflows sideways", async () => {
    const page = await openPlayground({ width: 390, height: 844 });
    await page.getByLabel("Max tokens", { exact: true }).fill("8");
    await page.getByLabel("Samples (n)", { exact: true }).fill("2");
    await page.getByRole("button", { name: "Generate" }).click();
    await page.locator("article[data-run=steered][data-done=true]").waitFor({ timeout: 60_000 });
    const unlabelled = await page.evaluate('[...document.querySelectorAll("input, select, textarea")].filter((c) => c.labels.length === 0).map((c) => c.id)');
    expect(unlabelled).toEqual([]);
    expect(await page.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(390);
    await page.close();
  });
});

describe("the browser test setup", () => {
  test("a missing Chromium is refused with the set-up step to run", () => {
    expect(() => requireChromium("/nonexistent/chromium")).toThrow(/^\/nonexistent\/chromium is missing: run `node scripts\/setup-test-deps.mjs` as root \(it runs `apt-get install -y chromium`\)/);
  });
});
