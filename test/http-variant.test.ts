/**
 * A weight variant served (MODEL_DTYPE): the q8 file runs with its float16 cache and, because
 * models/<name>/variants.json measured it within tolerance of the fp32 export on these very
 * files, with the export's fitted schedules; /healthz and /v1/schedules say which file runs and
 * whose fits steer it. A variant the asset build cannot vouch for inherits nothing.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { createNodeApp } from "../src/node-app.js";
import { assetTree, nodeModel, post, scheduleJson } from "./helpers/http.js";
import { nodeModelQ8 } from "./helpers/model.js";

const [fp32, q8] = await Promise.all([nodeModel(), nodeModelQ8()]);
const tree = await assetTree(fp32.id);
afterAll(() => tree.remove());
for (const [target, t] of [
  [1, 0.6],
  [2, 1],
  [3, 1.4],
] as const)
  await writeFile(join(tree.fitted, `t${target}.json`), JSON.stringify(scheduleJson(fp32.id, target, t)));
await tree.build();

describe("MODEL_DTYPE", () => {
  test("q8 serves the quantized file with a float16 cache, steered by the fits of the fp32 export it was measured against", async () => {
    const app = createNodeApp(tree.out, { MODEL: fp32.name, MODEL_DTYPE: "q8" });
    const health = await (await app.request("/healthz")).json();
    expect(health).toMatchObject({ status: "ok", model_id: q8.id, dtype: "q8", kv_dtype: "float16", fitted_on_model_id: fp32.id, schedules: 3 });
    const res = await post(app, "/v1/completions", { model: fp32.name, prompt: "And God said", max_tokens: 4, seed: 3, entropy: { mode: "schedule", target: 2 } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { entropy: { mode: string } }).entropy.mode).toBe("schedule");
  });

  test("fp32 (the default) serves the export, fitted on itself", async () => {
    const health = await (await createNodeApp(tree.out, { MODEL: fp32.name }).request("/v1/schedules")).json();
    expect(health).toMatchObject({ model_id: fp32.id, dtype: "fp32", kv_dtype: "float32", fitted_on_model_id: fp32.id });
  });

  test("a manifest that does not vouch for the variant gives it no fits: schedule degrades rather than steer another model", async () => {
    const manifestPath = join(tree.out, "schedules", "manifest.json");
    const manifest = JSON.parse(await readFile(manifestPath, "utf8"));
    expect(manifest.inherits).toEqual({ [q8.id]: fp32.id });
    await writeFile(manifestPath, JSON.stringify({ ...manifest, inherits: undefined }));
    try {
      const health = await (await createNodeApp(tree.out, { MODEL: fp32.name, MODEL_DTYPE: "q8" }).request("/healthz")).json();
      expect(health).toMatchObject({ model_id: q8.id, fitted_on_model_id: q8.id, schedules: 0 });
    } finally {
      await writeFile(manifestPath, JSON.stringify(manifest));
    }
  });

  test("an unknown variant is refused at start, naming the variable and the choices", () => {
    expect(() => createNodeApp(tree.out, { MODEL: fp32.name, MODEL_DTYPE: "q4" })).toThrow(/MODEL_DTYPE must be one of fp32, q8, got 'q4'/);
  });
});
