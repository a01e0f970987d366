/**
 * A model whose ONNX file is over the asset limit: the asset build ships it in parts, and both
 * readers join them — the Worker's (readModelFiles over an AssetReader) and the Node server's
 * (readModelDir on the tree) — into the very file, so the model id and the fits are its own.
 * The limit is lowered to 8 MiB here so the shipped 21 MiB export splits, as a 30 MiB one would.
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, test } from "vitest";
import { readModelFiles } from "../src/assets/model-files.js";
import type { AssetReader } from "../src/assets/reader.js";
import { modelIdOf } from "../src/model/model.js";
import { createNodeApp } from "../src/node-app.js";
import { post } from "./helpers/http.js";
import { DEFAULT_MODEL_DIR, nodeModel } from "./helpers/model.js";

const root = await mkdtemp(join(tmpdir(), "isentropic-parts-"));
afterAll(() => rm(root, { recursive: true, force: true }));
const name = basename(resolve(DEFAULT_MODEL_DIR));
await mkdir(join(root, "models"));
await symlink(resolve(DEFAULT_MODEL_DIR), join(root, "models", name));
const out = join(root, "out");
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
  String(8 * 2 ** 20),
]);
const reader: AssetReader = (path) =>
  readFile(join(out, path)).then(
    (b) => new Uint8Array(b),
    () => undefined,
  );

describe("a model file shipped in parts", () => {
  test("the build splits the export, keeps the smaller q8 file whole, and the Worker's reader joins it to the same bytes", async () => {
    const onnx = await readdir(join(out, "models", name, "onnx"));
    expect(onnx.filter((f) => f.startsWith("model.onnx.")).sort()).toEqual(["model.onnx.0", "model.onnx.1", "model.onnx.2"]);
    expect(onnx).not.toContain("model.onnx");
    expect(onnx).toContain("model_quantized.onnx");
    const files = await readModelFiles(reader, name);
    expect(await modelIdOf(files.onnx)).toBe((await nodeModel()).id);
  });

  test("the Node server loads it from the tree and generates, fitted on its own id", async () => {
    const app = createNodeApp(out, { MODEL: name });
    const health = (await (await app.request("/healthz")).json()) as { model_id: string; schedules: number; calibration: boolean };
    expect(health).toMatchObject({ model_id: (await nodeModel()).id, schedules: 5, calibration: true });
    const res = await post(app, "/v1/completions", { model: name, prompt: "And God said", max_tokens: 3, seed: 1, entropy: { mode: "schedule", target: 4.6 } });
    expect(res.status).toBe(200);
  });
});
