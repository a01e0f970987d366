import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, test, vi } from "vitest";
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

  test("/v1/schedules says null where nothing was fitted", async () => {
    const out = (await (await (await testApp()).request("/v1/schedules")).json()) as Record<string, unknown>;
    expect(out).toMatchObject({ schedules: [], target_range: null, calibration: null });
  });

  test("/healthz reports the loaded model and what is fitted for it", async () => {
    const res = await (await testApp({ catalog: fixtureCatalog(model, { calibration: false }) })).request("/healthz");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok", model: model.name, model_id: model.id, running: 0, schedules: 3, calibration: false });
  });
});

describe("model loading", () => {
  test("a failed load is a 503 naming the cause, and the next request tries again", async () => {
    const logged = vi.spyOn(console, "error").mockImplementation(() => undefined);
    let attempts = 0;
    const getModel = createLoader(async () => {
      attempts++;
      if (attempts === 1) throw new Error("asset models/x/onnx/model.onnx is missing");
      return { model, catalog: {} };
    });
    const app = createApp({ modelName: model.name, limits: DEFAULT_LIMITS, getModel });
    const failed = await app.request("/healthz");
    expect(failed.status).toBe(503);
    expect(await errorOf(failed)).toMatchObject({ code: "model_unavailable", message: expect.stringContaining("model.onnx is missing") });
    expect((await app.request("/healthz")).status).toBe(200);
    expect((await app.request("/v1/models")).status).toBe(200);
    expect(attempts).toBe(2);
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
    expect(limitsFromVars({})).toEqual({ maxTokens: 1000, maxN: 8, maxPromptTokens: 512, maxConcurrent: 4, maxBodyBytes: 65536 });
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

  test("an invalid fitted file fails the load with its path and field, and a fix heals it", async () => {
    const logged = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const bad = { ...scheduleJson(model.id, 2, 1), temperatures: [1, -1] };
    await writeFile(join(schedules, "t2.json"), JSON.stringify(bad));
    await build();
    const app = createNodeApp(out, { MODEL: model.name });
    const res = await app.request("/healthz");
    expect(res.status).toBe(503);
    const { message } = await errorOf(res);
    expect(message).toContain(`schedules/${model.id}/t2.json`);
    expect(message).toContain("temperatures");
    await writeFile(join(schedules, "t2.json"), JSON.stringify(scheduleJson(model.id, 2, 1)));
    await build();
    expect(await (await app.request("/healthz")).json()).toMatchObject({ schedules: 3 });
    logged.mockRestore();
  });

  test("a file fitted for another model is refused", async () => {
    const logged = vi.spyOn(console, "error").mockImplementation(() => undefined);
    await writeFile(join(schedules, "t2.json"), JSON.stringify(scheduleJson("0123456789abcdef", 2, 1)));
    await build();
    const res = await createNodeApp(out, { MODEL: model.name }).request("/healthz");
    expect(res.status).toBe(503);
    expect((await errorOf(res)).message).toContain("0123456789abcdef");
    await rm(join(schedules, "t2.json"));
    logged.mockRestore();
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
