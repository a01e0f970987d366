/**
 * scripts/build-assets.mjs — the asset tree the Worker and the Node server read: what it copies,
 * the manifest, the checks that refuse a tree Workers could not serve, and idempotent syncing
 * (wrangler starts several builds at once).
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, stat, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { readParts } from "../src/assets/reader.js";

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "isentropic-build-"));
});
afterEach(() => rm(root, { recursive: true, force: true }));

/** A fake model directory: the build copies bytes, it does not load them. */
async function fakeModel(name: string, onnxBytes = 16): Promise<string> {
  const dir = join(root, "models", name);
  await mkdir(join(dir, "onnx"), { recursive: true });
  await writeFile(join(dir, "config.json"), "{}");
  await writeFile(join(dir, "tokenizer.json"), "{}");
  await writeFile(join(dir, "training.json"), "{}");
  await writeFile(join(dir, "onnx", "model.onnx"), "");
  await truncate(join(dir, "onnx", "model.onnx"), onnxBytes);
  return dir;
}

const build = () =>
  promisify(execFile)("node", [
    "scripts/build-assets.mjs",
    ...["--out", join(root, "out"), "--models", join(root, "models"), "--schedules", join(root, "schedules"), "--public", join(root, "public")],
  ]);
const exists = (path: string) =>
  stat(join(root, "out", path)).then(
    () => true,
    () => false,
  );

describe("build-assets", () => {
  test("copies what the server reads, public/ and the fitted files, with a manifest per model id", async () => {
    await fakeModel("tiny");
    await mkdir(join(root, "schedules", "abc123"), { recursive: true });
    await writeFile(join(root, "schedules", "abc123", "t2.json"), "{}");
    await mkdir(join(root, "public"), { recursive: true });
    await writeFile(join(root, "public", "index.html"), "<h1>hi</h1>");
    await build();
    for (const path of ["models/tiny/config.json", "models/tiny/tokenizer.json", "models/tiny/onnx/model.onnx", "schedules/abc123/t2.json", "index.html"]) {
      expect(await exists(path), path).toBe(true);
    }
    expect(await exists("models/tiny/training.json")).toBe(false);
    // the playground's chart library, served next to it
    for (const [path, from] of [
      ["vendor/uPlot.iife.min.js", "uplot/dist/uPlot.iife.min.js"],
      ["vendor/uPlot.min.css", "uplot/dist/uPlot.min.css"],
    ] as const) {
      expect(await readFile(join(root, "out", path), "utf8"), path).toBe(await readFile(join("node_modules", from), "utf8"));
    }
    expect(JSON.parse(await readFile(join(root, "out", "schedules", "manifest.json"), "utf8"))).toEqual({
      version: 1,
      catalogs: { abc123: ["schedules/abc123/t2.json"] },
    });
  });

  test("bundles the browser engine, and vendors onnxruntime-web's wasm with the file over the limit in parts that join to it", async () => {
    await fakeModel("tiny");
    await build();
    expect(await readFile(join(root, "out", "local", "engine.js"), "utf8")).toMatch(/createLocalApp/);
    const wasm = "vendor/ort/ort-wasm-simd-threaded.wasm";
    expect((await stat(join(root, "out", wasm))).size).toBe((await stat("node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.wasm")).size);
    const webgpu = "vendor/ort/ort-wasm-simd-threaded.asyncify.wasm";
    expect(await exists(webgpu)).toBe(false);
    for (const part of [0, 1]) expect((await stat(join(root, "out", `${webgpu}.${part}`))).size).toBeLessThanOrEqual(25 * 1024 * 1024);
    const read = (path: string) =>
      readFile(join(root, "out", path)).then(
        (b) => new Uint8Array(b),
        () => undefined,
      );
    const joined = await readParts(read, webgpu);
    expect(Buffer.from(joined!).equals(await readFile("node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.asyncify.wasm"))).toBe(true);
    expect(await readParts(read, "vendor/ort/absent.wasm")).toBeUndefined();
  });

  test("a rebuild drops what no source accounts for any more, and concurrent builds agree", async () => {
    await fakeModel("tiny");
    await mkdir(join(root, "schedules", "abc123"), { recursive: true });
    await writeFile(join(root, "schedules", "abc123", "t2.json"), "{}");
    await build();
    await rm(join(root, "schedules", "abc123", "t2.json"));
    await Promise.all([build(), build(), build()]);
    expect(await exists("schedules/abc123/t2.json")).toBe(false);
    expect(JSON.parse(await readFile(join(root, "out", "schedules", "manifest.json"), "utf8")).catalogs).toEqual({ abc123: [] });
    expect(await exists("models/tiny/onnx/model.onnx")).toBe(true);
  });

  test("a variant inherits its export's fits only where variants.json measured these very files", async () => {
    const dir = await fakeModel("tiny");
    await writeFile(join(dir, "onnx", "model_quantized.onnx"), "int8 bytes");
    const idOf = async (f: string) =>
      createHash("sha256")
        .update(await readFile(join(dir, f)))
        .digest("hex")
        .slice(0, 16);
    const [base, variant] = await Promise.all([idOf("onnx/model.onnx"), idOf("onnx/model_quantized.onnx")]);
    const report = (inherits: string | null) => ({
      files: [
        { file: "onnx/model.onnx", model_id: base },
        { file: "onnx/model_quantized.onnx", model_id: variant, inherits_fits_of: inherits },
      ],
    });
    const manifest = async () => JSON.parse(await readFile(join(root, "out", "schedules", "manifest.json"), "utf8"));
    await writeFile(join(dir, "variants.json"), JSON.stringify(report(base)));
    await build();
    expect(await exists("models/tiny/onnx/model_quantized.onnx")).toBe(true);
    expect((await manifest()).inherits).toEqual({ [variant]: base });
    // measured outside tolerance: nothing inherited
    await writeFile(join(dir, "variants.json"), JSON.stringify(report(null)));
    await build();
    expect((await manifest()).inherits).toBeUndefined();
    // measured within tolerance, but on another file than the one shipped: nothing inherited, and the build says so
    await writeFile(join(dir, "variants.json"), JSON.stringify(report(base)));
    await writeFile(join(dir, "onnx", "model_quantized.onnx"), "requantized bytes");
    const { stderr } = await build();
    expect((await manifest()).inherits).toBeUndefined();
    expect(stderr).toMatch(/rerun training\/loss\.mjs/);
  });

  test("refuses a model missing a required file, naming it", async () => {
    const dir = await fakeModel("tiny");
    await rm(join(dir, "tokenizer.json"));
    await expect(build()).rejects.toThrow(/tiny\/tokenizer\.json is missing/);
  });

  test("an ONNX file over the Workers asset limit (25 MiB) goes out in parts that join to it; any other file is refused", async () => {
    const dir = await fakeModel("big", 26 * 1024 * 1024);
    await writeFile(join(dir, "onnx", "model.onnx"), Buffer.alloc(26 * 1024 * 1024, 7));
    await build();
    expect(await exists("models/big/onnx/model.onnx")).toBe(false);
    const read = (path: string) =>
      readFile(join(root, "out", path)).then(
        (b) => new Uint8Array(b),
        () => undefined,
      );
    expect((await read("models/big/onnx/model.onnx.0"))?.length).toBe(16 * 1024 * 1024);
    const joined = await readParts(read, "models/big/onnx/model.onnx");
    expect(joined && Buffer.from(joined).equals(await readFile(join(dir, "onnx", "model.onnx")))).toBe(true);
    await mkdir(join(root, "public"), { recursive: true });
    await truncate(await writeFile(join(root, "public", "big.bin"), "").then(() => join(root, "public", "big.bin")), 26 * 1024 * 1024);
    await expect(build()).rejects.toThrow(/big\.bin is \d+ bytes; Workers assets are limited/);
  });

  test("refuses a tree with no servable model", async () => {
    await mkdir(join(root, "models", "half-exported"), { recursive: true });
    await expect(build()).rejects.toThrow(/no model with onnx\/model\.onnx/);
  });
});
