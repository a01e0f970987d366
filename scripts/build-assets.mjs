#!/usr/bin/env node
/**
 * build-assets — lay out the Worker's static assets (wrangler's [build] step; the Node server
 * reads the same tree):
 *
 *   <out>/                      public/, copied as is when it exists (the playground)
 *   <out>/vendor/               the browser libraries the playground loads, from node_modules (uPlot,
 *                               onnxruntime-web's wasm; a file over the asset limit in numbered parts)
 *   <out>/local/                the engine bundled for the browser (src/browser/local-app.ts, esbuild)
 *   <out>/models/<name>/        config.json, tokenizer.json, tokenizer_config.json, onnx/model.onnx,
 *                               onnx/model_quantized.onnx where the model has one (MODEL_DTYPE q8);
 *                               an ONNX file over the asset limit in numbered parts (.0, .1, …)
 *   <out>/schedules/<model id>/*.json   fitted schedules and calibrations
 *   <out>/schedules/manifest.json      { version: 1, catalogs: { <model id>: [asset paths] },
 *                                        inherits: { <variant id>: <model id> } }
 *
 * A weight variant (onnx/model_quantized.onnx) uses its export's fits only where
 * models/<name>/variants.json (training/loss.mjs) measured it within tolerance and both files
 * still hash to the ids it measured; a stale measurement inherits nothing.
 *
 * Only what the server reads is copied (no training artifacts). Workers assets cannot be
 * listed, hence the manifest; the files are validated where they are loaded
 * (src/control/catalog.ts), against the model they are loaded for.
 *
 * The tree is synced, not rebuilt: unchanged files are left alone, changed ones are replaced by
 * an atomic rename, files no source accounts for are deleted. wrangler runs the build several
 * times at once when a dev session starts, and a reader must never see a half-written model.
 *
 * Usage: node scripts/build-assets.mjs [--out .assets] [--models models] [--schedules schedules] [--public public] [--max-asset-bytes N]
 */
import { createHash } from "node:crypto";
import { copyFile, mkdir, open, readdir, readFile, rename, rm, stat, utimes, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join, relative, sep } from "node:path";
import { parseArgs } from "node:util";
import { build } from "esbuild";

/** Cloudflare serves no static asset larger than this, bytes (--max-asset-bytes lowers it, for tests). */
const WORKERS_MAX_ASSET_BYTES = 25 * 1024 * 1024;
const MODEL_FILES = [
  ["config.json", true],
  ["tokenizer.json", true],
  ["tokenizer_config.json", false],
  ["onnx/model.onnx", true],
  ["onnx/model_quantized.onnx", false],
];
const MANIFEST = "schedules/manifest.json";
/** Asset path → package file, for the browser libraries public/ loads (no bundler at run time). */
const VENDOR = [
  ["vendor/uPlot.iife.min.js", "uplot/dist/uPlot.iife.min.js"],
  ["vendor/uPlot.min.css", "uplot/dist/uPlot.min.css"],
  ["vendor/uPlot.LICENSE", "uplot/LICENSE"],
  ["vendor/ort/ort-wasm-simd-threaded.wasm", "onnxruntime-web/ort-wasm-simd-threaded.wasm"],
  // the WebGPU build's; 26.8 MB, so it goes out in parts
  ["vendor/ort/ort-wasm-simd-threaded.asyncify.wasm", "onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm"],
];
/** Size of each part of a file over the asset limit, bytes. */
const DEFAULT_PART_BYTES = 16 * 1024 * 1024;
/** The browser engine: entry, and the asset directory of its bundle. */
const LOCAL_ENTRY = "src/browser/local-app.ts";
const LOCAL_DIR = "local";

const { values: args } = parseArgs({
  options: {
    out: { type: "string", default: ".assets" },
    models: { type: "string", default: "models" },
    schedules: { type: "string", default: "schedules" },
    public: { type: "string", default: "public" },
    "max-asset-bytes": { type: "string", default: String(WORKERS_MAX_ASSET_BYTES) },
  },
});
const MAX_ASSET_BYTES = Number(args["max-asset-bytes"]);
if (!(Number.isInteger(MAX_ASSET_BYTES) && MAX_ASSET_BYTES > 0 && MAX_ASSET_BYTES <= WORKERS_MAX_ASSET_BYTES)) {
  throw new Error(`--max-asset-bytes must be an integer in [1, ${WORKERS_MAX_ASSET_BYTES}], got ${args["max-asset-bytes"]}`);
}
const PART_BYTES = Math.min(DEFAULT_PART_BYTES, MAX_ASSET_BYTES);

const statOf = (path) => stat(path).catch(() => undefined);
/** A temporary sibling of `path`, unique to this process. */
const temporary = (path) => `${path}.${process.pid}.tmp`;

/** Every file under `dir`, as paths relative to it with forward slashes. */
async function filesUnder(dir) {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) =>
      relative(dir, join(e.parentPath ?? e.path, e.name))
        .split(sep)
        .join("/"),
    );
}

/** Asset path → source file: what the tree must hold, besides the manifest. */
/** The model id of an ONNX file, as src/model/model.ts computes it. */
async function modelIdOf(path) {
  return createHash("sha256")
    .update(await readFile(path))
    .digest("hex")
    .slice(0, 16);
}

/** Variant id → export id, for the variants models/<name>/variants.json measured within tolerance of these very files. */
async function inheritedFits(dir) {
  const report = await readFile(join(dir, "variants.json"), "utf8").catch(() => undefined);
  if (report === undefined) return {};
  const inherits = {};
  for (const f of JSON.parse(report).files ?? []) {
    if (!f.inherits_fits_of) continue;
    const [variant, base] = await Promise.all([modelIdOf(join(dir, f.file)).catch(() => undefined), modelIdOf(join(dir, "onnx", "model.onnx"))]);
    if (variant === f.model_id && base === f.inherits_fits_of) inherits[variant] = base;
    else console.warn(`build-assets: ${join(dir, "variants.json")} measured other files than ${f.file} and onnx/model.onnx; rerun training/loss.mjs`);
  }
  return inherits;
}

async function plan() {
  const files = new Map();
  const inherits = {};
  if (await statOf(args.public)) for (const path of await filesUnder(args.public)) files.set(path, join(args.public, path));
  const require = createRequire(import.meta.url);
  for (const [path, file] of VENDOR) files.set(path, require.resolve(file));
  const models = [];
  for (const name of (await statOf(args.models)) ? (await readdir(args.models)).sort() : []) {
    const dir = join(args.models, name);
    // A directory without an exported ONNX file is not a servable model (yet).
    if (!(await statOf(join(dir, "onnx", "model.onnx")))) continue;
    for (const [file, required] of MODEL_FILES) {
      const from = join(dir, file);
      if (await statOf(from)) files.set(`models/${name}/${file}`, from);
      else if (required) throw new Error(`${from} is missing`);
    }
    models.push(name);
    Object.assign(inherits, await inheritedFits(dir));
  }
  const catalogs = {};
  for (const modelId of (await statOf(args.schedules)) ? (await readdir(args.schedules)).sort() : []) {
    const dir = join(args.schedules, modelId);
    if (!(await stat(dir)).isDirectory()) continue;
    const names = (await readdir(dir)).filter((n) => n.endsWith(".json") && n !== "manifest.json").sort();
    catalogs[modelId] = names.map((name) => `schedules/${modelId}/${name}`);
    for (const name of names) files.set(`schedules/${modelId}/${name}`, join(dir, name));
  }
  return { files, models, catalogs, inherits };
}

/** Whether `to` already has `size` bytes and the mtime of `source` (utimes keeps whole milliseconds only). */
async function current(to, size, source) {
  const target = await statOf(to);
  return target !== undefined && target.size === size && Math.floor(target.mtimeMs) === Math.floor(source.mtimeMs);
}

/** Put a temporary file in place of `to`, stamped with the source's times. */
async function install(tmp, to, source) {
  await utimes(tmp, source.atime, source.mtime);
  await rename(tmp, to);
}

/** Copy `from` to `to` unless `to` already has its size and mtime; returns the size, bytes. */
async function sync(from, to) {
  const source = await stat(from);
  if (source.size > MAX_ASSET_BYTES) throw new Error(`${from} is ${source.size} bytes; Workers assets are limited to ${MAX_ASSET_BYTES}`);
  if (await current(to, source.size, source)) return source.size;
  await mkdir(dirname(to), { recursive: true });
  await copyFile(from, temporary(to));
  await install(temporary(to), to, source);
  return source.size;
}

/** Copy `from` as `<to>.0`, `<to>.1`, … of PART_BYTES each (src/assets/reader.ts readParts joins them); returns the part paths. */
async function syncParts(from, to) {
  const source = await stat(from);
  const paths = [];
  const file = await open(from);
  try {
    for (let offset = 0; offset < source.size; offset += PART_BYTES) {
      const path = `${to}.${paths.length}`;
      paths.push(path);
      const size = Math.min(PART_BYTES, source.size - offset);
      if (await current(path, size, source)) continue;
      const bytes = Buffer.alloc(size);
      await file.read(bytes, 0, size, offset);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(temporary(path), bytes);
      await install(temporary(path), path, source);
    }
  } finally {
    await file.close();
  }
  return paths;
}

/** The browser engine bundle: asset path → bytes. */
async function bundleLocalEngine() {
  const result = await build({
    entryPoints: { engine: LOCAL_ENTRY },
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify: true,
    legalComments: "eof",
    outdir: LOCAL_DIR,
    write: false,
    logLevel: "warning",
  });
  return new Map(result.outputFiles.map((f) => [relative(process.cwd(), f.path).split(sep).join("/"), f.contents]));
}

async function writeIfChanged(path, text) {
  const now = await readFile(path).catch(() => undefined);
  if (now?.equals(Buffer.from(text))) return;
  await mkdir(dirname(path), { recursive: true });
  await writeFile(temporary(path), text);
  await rename(temporary(path), path);
}

const out = args.out;
const { files, models, catalogs, inherits } = await plan();
if (models.length === 0) throw new Error(`no model with onnx/model.onnx under ${args.models}/`);
let bytes = 0;
const keep = new Set([MANIFEST]);
for (const [path, from] of files) {
  // A wasm binary or a model file over the limit goes out in parts, which the readers join.
  if ((path.startsWith("vendor/") || /^models\/[^/]+\/onnx\//.test(path)) && (await stat(from)).size > MAX_ASSET_BYTES) {
    for (const part of await syncParts(from, join(out, path))) keep.add(relative(out, part).split(sep).join("/"));
    continue;
  }
  bytes += await sync(from, join(out, path));
  keep.add(path);
}
for (const [path, contents] of await bundleLocalEngine()) {
  await writeIfChanged(join(out, path), contents);
  keep.add(path);
}
const manifest = { version: 1, catalogs, ...(Object.keys(inherits).length > 0 ? { inherits } : {}) };
await writeIfChanged(join(out, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
// Another run's temporary files are its business; anything else unaccounted for is stale.
for (const path of await filesUnder(out)) if (!keep.has(path) && !path.endsWith(".tmp")) await rm(join(out, path), { force: true });
const fitted = Object.values(catalogs).flat().length;
console.log(`build-assets: ${out}/ ← models: ${models.join(", ")} (${(bytes / 1e6).toFixed(1)} MB in all); ${fitted} schedule/calibration file(s)`);
