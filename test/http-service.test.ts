import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, test, vi } from "vitest";
import { buildCatalog } from "../src/control/catalog.js";
import { createApp } from "../src/http/app.js";
import { DEFAULT_LIMITS, limitsFromVars } from "../src/http/limits.js";
import { createLoader } from "../src/http/loader.js";
import { createNodeApp } from "../src/node-app.js";
import { assetTree, calibrationJson, errorOf, FIXTURE_TARGETS, fixtureCatalog, nodeModel, scheduleJson, testApp } from "./helpers/http.js";

const model = await nodeModel();

describe("GET /v1/models, /v1/schedules, /healthz", () => {
  test("/v1/models lists the served model with its size and content id", async () => {
    const app = await testApp();
    const list = (await (await app.request("/v1/models")).json()) as { object: string; data: Record<string, unknown>[] };
    expect(list.object).toBe("list");
    expect(list.data).toEqual([
      { id: model.name, object: "model", created: 0, owned_by: "isentropic", content_id: model.id, max_positions: model.spec.maxPositions, vocab_size: model.spec.vocabSize },
    ]);
    expect(await (await app.request(`/v1/models/${model.name}`)).json()).toEqual(list.data[0]);
    const missing = await app.request("/v1/models/gpt-4");
    expect(missing.status).toBe(404);
    expect((await errorOf(missing)).code).toBe("model_not_found");
  });

  test("/v1/schedules reports the fitted targets and the calibration", async () => {
    const app = await testApp({ catalog: fixtureCatalog(model) });
    const out = (await (await app.request("/v1/schedules")).json()) as Record<string, unknown>;
    expect(out).toMatchObject({
      model: model.name,
      model_id: model.id,
      schedules: FIXTURE_TARGETS.map((target) => ({ target, knots: 2 })),
      target_range: [FIXTURE_TARGETS[0], FIXTURE_TARGETS.at(-1)],
      calibration: { statistic: "std", knots: 5, gain: 0.1, heldout: { mae: 0.2, spearman: 0.9 } },
    });
  });

  test("/v1/schedules lists the targets of the per-target offsets and each n's marginal gap", async () => {
    const table = {
      targets: [1, 3],
      positions: [0, 64],
      values: [
        [0, 0.4],
        [0, 0.2],
      ],
    };
    const files = [
      ...FIXTURE_TARGETS.map((target, k) => ({ name: `schedule-${target}.json`, json: scheduleJson(model.id, target, 0.5 + 0.4 * k) })),
      { name: "calibration.json", json: { ...calibrationJson(model.id), offsets: table, marginal_gaps: [2, 4].map((rows) => ({ rows, ...table })) } },
    ];
    const app = await testApp({ catalog: buildCatalog(model.id, files) });
    const out = (await (await app.request("/v1/schedules")).json()) as Record<string, unknown>;
    expect(out).toMatchObject({
      calibration: {
        offset_targets: [1, 3],
        marginal_gaps: [
          { n: 2, targets: [1, 3] },
          { n: 4, targets: [1, 3] },
        ],
      },
    });
    const bare = (await (await (await testApp({ catalog: fixtureCatalog(model) })).request("/v1/schedules")).json()) as Record<string, unknown>;
    expect(bare).toMatchObject({ calibration: { offset_targets: null, marginal_gaps: [] } });
  });

  test("/v1/schedules says null where nothing was fitted", async () => {
    const out = (await (await (await testApp()).request("/v1/schedules")).json()) as Record<string, unknown>;
    expect(out).toMatchObject({ schedules: [], target_range: null, calibration: null });
  });

  test("/healthz reports the loaded model and what is fitted for it", async () => {
    const res = await (await testApp({ catalog: fixtureCatalog(model, { calibration: false }) })).request("/healthz");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      status: "ok",
      model: model.name,
      model_id: model.id,
      dtype: "fp32",
      kv_dtype: "float32",
      fitted_on_model_id: model.id,
      running: 0,
      schedules: 3,
      calibration: false,
      broken_files: [],
      degraded: [
        { mode: "proxy", reason: expect.stringContaining("no usable proxy calibration") },
        { mode: "exact", reason: expect.stringContaining("conditional entropy") },
        { mode: "marginal", reason: expect.stringContaining("own n rows") },
      ],
    });
  });
});

describe("model loading", () => {
  test("a failed load is a 503 naming the cause with Retry-After, kept for a doubling backoff, then tried again", async () => {
    const logged = vi.spyOn(console, "error").mockImplementation(() => undefined);
    let clock = 0;
    let attempts = 0;
    const getModel = createLoader(
      async () => {
        attempts++;
        if (attempts <= 7) throw new Error("asset models/x/onnx/model.onnx is missing");
        return { model, catalog: {} };
      },
      { now: () => clock },
    );
    const app = createApp({ modelName: model.name, limits: DEFAULT_LIMITS, getModel });
    const failed = await app.request("/healthz");
    expect(failed.status).toBe(503);
    expect(failed.headers.get("Retry-After")).toBe("1");
    expect(await errorOf(failed)).toMatchObject({ code: "model_unavailable", message: expect.stringContaining("model.onnx is missing") });
    // within the backoff every request gets the same answer without a load
    clock = 900;
    const cached = await app.request("/v1/models");
    expect(cached.status).toBe(503);
    expect(cached.headers.get("Retry-After")).toBe("1");
    expect(attempts).toBe(1);
    // each failure doubles the wait: 1, 2, 4, 8, 16, 32, then 60 s at most
    const waits = [];
    for (let k = 0; k < 6; k++) {
      clock += 1000 * 2 ** k;
      const res = await app.request("/healthz");
      expect(res.status).toBe(503);
      waits.push(Number(res.headers.get("Retry-After")));
    }
    expect(waits).toEqual([2, 4, 8, 16, 32, 60]);
    expect(attempts).toBe(7);
    clock += 59_000;
    expect((await app.request("/healthz")).status).toBe(503);
    expect(attempts).toBe(7);
    clock += 1000;
    expect((await app.request("/healthz")).status).toBe(200);
    expect((await app.request("/v1/models")).status).toBe(200);
    expect(attempts).toBe(8);
    logged.mockRestore();
  });

  test("concurrent first requests share one load", async () => {
    let attempts = 0;
    const getModel = createLoader(async () => {
      attempts++;
      return { model, catalog: {} };
    });
    await Promise.all([getModel(), getModel(), getModel()]);
    expect(attempts).toBe(1);
  });
});

describe("limits from [vars]", () => {
  test("unset or empty variables keep the documented defaults", () => {
    expect(limitsFromVars({})).toEqual({ maxTokens: 1000, maxN: 8, maxPromptTokens: 512, maxConcurrent: 4, maxBodyBytes: 65536, streamIdleMs: 5000, memoryBudgetMb: Infinity });
    expect(limitsFromVars({ MEMORY_BUDGET_MB: "116" }).memoryBudgetMb).toBe(116);
    expect(limitsFromVars({ MAX_N: "", MAX_TOKENS: "200" })).toMatchObject({ maxN: 8, maxTokens: 200 });
  });

  test.each(["0", "-3", "1.5", "lots"])("MAX_CONCURRENT=%s is refused, naming the variable", (value) => {
    expect(() => limitsFromVars({ MAX_CONCURRENT: value })).toThrow(/MAX_CONCURRENT/);
  });
});

describe("the asset tree: build-assets, manifest and catalog validation", async () => {
  const tree = await assetTree(model.id);
  const { build, out, fitted: schedules } = tree;
  afterAll(() => tree.remove());

  test("serves the model and the fitted files listed for its id", async () => {
    await writeFile(join(schedules, "t1.json"), JSON.stringify(scheduleJson(model.id, 1, 0.6)));
    await writeFile(join(schedules, "t3.json"), JSON.stringify(scheduleJson(model.id, 3, 1.4)));
    await writeFile(join(schedules, "calibration.json"), JSON.stringify(calibrationJson(model.id)));
    await build();
    const app = createNodeApp(out, { MODEL: model.name });
    const health = await app.request("/healthz");
    expect(await health.json()).toMatchObject({ status: "ok", model_id: model.id, schedules: 2, calibration: true });
  });

  test("an invalid fitted file is left out, named with its field, and a fixed tree loads whole", async () => {
    const bad = { ...scheduleJson(model.id, 2, 1), temperatures: [1, -1] };
    await writeFile(join(schedules, "t2.json"), JSON.stringify(bad));
    await build();
    const res = await createNodeApp(out, { MODEL: model.name }).request("/healthz");
    expect(res.status).toBe(200);
    const health = (await res.json()) as { status: string; schedules: number; calibration: boolean; broken_files: { file: string; error: string }[] };
    expect(health).toMatchObject({ status: "degraded", schedules: 2, calibration: true });
    expect(health.broken_files).toEqual([{ file: `schedules/${model.id}/t2.json`, error: expect.stringContaining("temperatures") }]);
    await writeFile(join(schedules, "t2.json"), JSON.stringify(scheduleJson(model.id, 2, 1)));
    await build();
    expect(await (await createNodeApp(out, { MODEL: model.name }).request("/healthz")).json()).toMatchObject({ status: "ok", schedules: 3, broken_files: [] });
  });

  test("a file fitted for another model is left out, never used", async () => {
    await writeFile(join(schedules, "t2.json"), JSON.stringify(scheduleJson("0123456789abcdef", 2, 1)));
    await build();
    const res = await createNodeApp(out, { MODEL: model.name }).request("/healthz");
    expect(res.status).toBe(200);
    const health = (await res.json()) as { schedules: number; broken_files: { error: string }[] };
    expect(health.schedules).toBe(2);
    expect(health.broken_files[0]!.error).toContain("0123456789abcdef");
    await rm(join(schedules, "t2.json"));
  });

  test("the Node app serves the playground and its vendored files from the tree, as the Worker's assets do", async () => {
    await build();
    await writeFile(join(out, "index.html"), "<h1>playground</h1>");
    const app = createNodeApp(out, { MODEL: model.name });
    const page = await app.request("/");
    expect(page.status).toBe(200);
    expect(page.headers.get("Content-Type")).toMatch(/^text\/html/);
    expect(await page.text()).toBe("<h1>playground</h1>");
    const css = await app.request("/vendor/uPlot.min.css");
    expect(css.headers.get("Content-Type")).toMatch(/^text\/css/);
    expect((await app.request("/v1/models")).headers.get("Content-Type")).toMatch(/^application\/json/);
    const missing = await app.request("/no-such-page");
    expect(missing.status).toBe(404);
    expect((await errorOf(missing)).code).toBe("not_found");
    // other methods on a static file: 405 JSON, as in the Worker; on no file: the JSON 404
    for (const path of ["/", "/index.html", "/vendor/uPlot.min.css"]) {
      const put = await app.request(path, { method: "PUT", body: "x" });
      expect(put.status, path).toBe(405);
      expect(put.headers.get("Allow")).toBe("GET, HEAD");
      expect((await errorOf(put)).code).toBe("method_not_allowed");
    }
    expect((await app.request("/no-such-page", { method: "DELETE" })).status).toBe(404);
  });

  test("a model that is not there is a 503 naming the file", async () => {
    const logged = vi.spyOn(console, "error").mockImplementation(() => undefined);
    await build();
    const res = await createNodeApp(out, { MODEL: "no-such-model" }).request("/healthz");
    expect(res.status).toBe(503);
    expect((await errorOf(res)).message).toMatch(/no-such-model/);
    logged.mockRestore();
  });
});
