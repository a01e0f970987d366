#!/usr/bin/env node
/**
 * build-assets — lay out the Worker's static assets (wrangler's [build] step; the Node server
 * reads the same tree):
 *
 *   <out>/                      public/, copied as is when it exists (the playground)
 *   <out>/vendor/               the browser libraries the playground loads, from node_modules (uPlot)
 *   <out>/models/<name>/        config.json, tokenizer.json, tokenizer_config.json, onnx/model.onnx
 *   <out>/schedules/<model id>/*.json   fitted schedules and calibrations
 *   <out>/schedules/manifest.json      { version: 1, catalogs: { <model id>: [asset paths] } }
 *
 * Only what the server reads is copied (no training artifacts). Workers assets cannot be
 * listed, hence the manifest; the files are validated where they are loaded
 * (src/control/catalog.ts), against the model they are loaded for.
 *
 * The tree is synced, not rebuilt: unchanged files are left alone, changed ones are replaced by
 * an atomic rename, files no source accounts for are deleted. wrangler runs the build several
 * times at once when a dev session starts, and a reader must never see a half-written model.
 *
 * Usage: node scripts/build-assets.mjs [--out .assets] [--models models] [--schedules schedules] [--public public]
 */
import { createRequire } from "node:module";
import { copyFile, mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
import { parseArgs } from "node:util";

/** Cloudflare serves no static asset larger than this, bytes. */
const MAX_ASSET_BYTES = 25 * 1024 * 1024;
const MODEL_FILES = [
  ["config.json", true],
  ["tokenizer.json", true],
  ["tokenizer_config.json", false],
  ["onnx/model.onnx", true],
];
const MANIFEST = "schedules/manifest.json";
/** Asset path → package file, for the browser libraries public/ loads (no bundler at run time). */
const VENDOR = [
  ["vendor/uPlot.iife.min.js", "uplot/dist/uPlot.iife.min.js"],
  ["vendor/uPlot.min.css", "uplot/dist/uPlot.min.css"],
  ["vendor/uPlot.LICENSE", "uplot/LICENSE"],
];

const { values: args } = parseArgs({
  options: {
    out: { type: "string", default: ".assets" },
    models: { type: "string", default: "models" },
    schedules: { type: "string", default: "schedules" },
    public: { type: "string", default: "public" },
  },
});

const statOf = (path) => stat(path).catch(() => undefined);
/** A temporary sibling of `path`, unique to this process. */
const temporary = (path) => `${path}.${process.pid}.tmp`;

/** Every file under `dir`, as paths relative to it with forward slashes. */
async function filesUnder(dir) {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath ?? e.path, e.name)).split(sep).join("/"));
}

/** Asset path → source file: what the tree must hold, besides the manifest. */
async function plan() {
  const files = new Map();
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
  }
  const catalogs = {};
  for (const modelId of (await statOf(args.schedules)) ? (await readdir(args.schedules)).sort() : []) {
    const dir = join(args.schedules, modelId);
    if (!(await stat(dir)).isDirectory()) continue;
    const names = (await readdir(dir)).filter((n) => n.endsWith(".json") && n !== "manifest.json").sort();
    catalogs[modelId] = names.map((name) => `schedules/${modelId}/${name}`);
    for (const name of names) files.set(`schedules/${modelId}/${name}`, join(dir, name));
  }
  return { files, models, catalogs };
}

/** Copy `from` to `to` unless `to` already has its size and mtime; returns the size, bytes. */
async function sync(from, to) {
  const source = await stat(from);
  if (source.size > MAX_ASSET_BYTES) throw new Error(`${from} is ${source.size} bytes; Workers assets are limited to ${MAX_ASSET_BYTES}`);
  const target = await statOf(to);
  // utimes keeps whole milliseconds only.
  if (target && target.size === source.size && Math.floor(target.mtimeMs) === Math.floor(source.mtimeMs)) return source.size;
  await mkdir(dirname(to), { recursive: true });
  const tmp = temporary(to);
  await copyFile(from, tmp);
  await utimes(tmp, source.atime, source.mtime);
  await rename(tmp, to);
  return source.size;
}

async function writeIfChanged(path, text) {
  if ((await readFile(path, "utf8").catch(() => undefined)) === text) return;
  await mkdir(dirname(path), { recursive: true });
  await writeFile(temporary(path), text);
  await rename(temporary(path), path);
}

const out = args.out;
const { files, models, catalogs } = await plan();
if (models.length === 0) throw new Error(`no model with onnx/model.onnx under ${args.models}/`);
let bytes = 0;
for (const [path, from] of files) bytes += await sync(from, join(out, path));
await writeIfChanged(join(out, MANIFEST), `${JSON.stringify({ version: 1, catalogs }, null, 2)}\n`);
const keep = new Set([...files.keys(), MANIFEST]);
// Another run's temporary files are its business; anything else unaccounted for is stale.
for (const path of await filesUnder(out)) if (!keep.has(path) && !path.endsWith(".tmp")) await rm(join(out, path), { force: true });
const fitted = Object.values(catalogs).flat().length;
console.log(`build-assets: ${out}/ ← models: ${models.join(", ")} (${(bytes / 1e6).toFixed(1)} MB in all); ${fitted} schedule/calibration file(s)`);
