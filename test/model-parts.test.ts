/**
 * A model whose ONNX file is over the asset limit: the asset build ships it in parts, and both
 * readers join them — the Worker's (readModelFiles over an AssetReader) and the Node server's
 * (readModelDir on the tree) — into the very file, so the model id and the fits are its own.
 * The limit is lowered to 8 MiB here so the shipped exports (21 MiB GPT-2, 12 MiB Llama) split, as
 * a 30 MiB one would.
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, test } from "vitest";
import { readModelFiles } from "../src/assets/model-files.js";
import type { AssetReader } from "../src/assets/reader.js";
import { modelIdOf } from "../src/model/model.js";
import { createNodeApp } from "../src/node-app.js";
import { post } from "./helpers/http.js";
import { nodeModel, TEST_MODEL_DIR } from "./helpers/model.js";

const root = await mkdtemp(join(tmpdir(), "isentropic-parts-"));
afterAll(() => rm(root, { recursive: true, force: true }));
const name = basename(resolve(TEST_MODEL_DIR));
await mkdir(join(root, "models"));
await symlink(resolve(TEST_MODEL_DIR), join(root, "models", name));
const out = join(root, "out");
const LIMIT = 8 * 2 ** 20;
const exportBytes = (await stat(join(TEST_MODEL_DIR, "onnx", "model.onnx"))).size;
const model = await nodeModel();
/** Schedules fitted for this model, as the tree will carry them. */
const fitted = (await readdir(join("schedules", model.id))).filter((f) => /^target-[\d.]+\.json$/.test(f)).length;
await promisify(execFile)("node", [
  "scripts/build-assets.mjs",
  "--out",
  out,
  "--models",
  join(root, "models"),
  "--schedules",
  "schedules",
  "--public",
  join(root, "public"),
  "--max-asset-bytes",
  String(LIMIT),
]);
const reader: AssetReader = (path) =>
  readFile(join(out, path)).then(
    (b) => new Uint8Array(b),
    () => undefined,
  );

describe("a model file shipped in parts", () => {
  test("the build splits the export, keeps the smaller q8 file whole, and the Worker's reader joins it to the same bytes", async () => {
    const onnx = await readdir(join(out, "models", name, "onnx"));
    const parts = Math.ceil(exportBytes / LIMIT);
    expect(parts).toBeGreaterThanOrEqual(2);
    expect(onnx.filter((f) => f.startsWith("model.onnx.")).sort()).toEqual(Array.from({ length: parts }, (_, i) => `model.onnx.${i}`));
    expect(onnx).not.toContain("model.onnx");
    expect(onnx).toContain("model_quantized.onnx");
    const files = await readModelFiles(reader, name);
    expect(await modelIdOf(files.onnx)).toBe(model.id);
  });

  test("the Node server loads it from the tree and generates, fitted on its own id", async () => {
    const app = createNodeApp(out, { MODEL: name });
    const health = (await (await app.request("/healthz")).json()) as { model_id: string; schedules: number; calibration: boolean };
    expect(fitted).toBeGreaterThanOrEqual(3);
    expect(health).toMatchObject({ model_id: model.id, schedules: fitted, calibration: true });
    const res = await post(app, "/v1/completions", { model: name, prompt: "And God said", max_tokens: 3, seed: 1, entropy: { mode: "schedule", target: 4.6 } });
    expect(res.status).toBe(200);
  });
});
