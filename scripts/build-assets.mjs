#!/usr/bin/env node
/**
 * build-assets — lay out the Worker's static assets (wrangler's [build] step; the Node server
 * reads the same tree):
 *
 *   <out>/                      public/, copied as is when it exists
 *   <out>/models/<name>/        config.json, tokenizer.json, tokenizer_config.json, onnx/model.onnx
 *   <out>/schedules/<model id>/*.json   fitted schedules and calibrations
 *   <out>/schedules/manifest.json      { version: 1, catalogs: { <model id>: [asset paths] } }
 *
 * Only what the server reads is copied (no training artifacts). Workers assets cannot be
 * listed, hence the manifest; the files are validated where they are loaded
 * (src/control/catalog.ts), against the model they are loaded for.
 *
 * Usage: node scripts/build-assets.mjs [--out .assets] [--models models] [--schedules schedules] [--public public]
 */
import { cp, mkdir, readdir, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";

/** Cloudflare serves no static asset larger than this, bytes. */
const MAX_ASSET_BYTES = 25 * 1024 * 1024;
const MODEL_FILES = [
  ["config.json", true],
  ["tokenizer.json", true],
  ["tokenizer_config.json", false],
  ["onnx/model.onnx", true],
];

const { values: args } = parseArgs({
  options: {
    out: { type: "string", default: ".assets" },
    models: { type: "string", default: "models" },
    schedules: { type: "string", default: "schedules" },
    public: { type: "string", default: "public" },
  },
});

const exists = (path) => stat(path).then(() => true, () => false);

async function copyChecked(from, to) {
  const { size } = await stat(from);
  if (size > MAX_ASSET_BYTES) throw new Error(`${from} is ${size} bytes; Workers assets are limited to ${MAX_ASSET_BYTES}`);
  await mkdir(dirname(to), { recursive: true });
  await cp(from, to);
  return size;
}

async function copyModels(out) {
  const names = [];
  for (const name of (await exists(args.models)) ? (await readdir(args.models)).sort() : []) {
    const dir = join(args.models, name);
    // A directory without an exported ONNX file is not a servable model (yet).
    if (!(await exists(join(dir, "onnx", "model.onnx")))) continue;
    let bytes = 0;
    for (const [file, required] of MODEL_FILES) {
      const from = join(dir, file);
      if (!(await exists(from))) {
        if (required) throw new Error(`${from} is missing`);
        continue;
      }
      bytes += await copyChecked(from, join(out, "models", name, file));
    }
    names.push(`${name} (${(bytes / 1e6).toFixed(1)} MB)`);
  }
  return names;
}

async function copySchedules(out) {
  const catalogs = {};
  let count = 0;
  for (const modelId of (await exists(args.schedules)) ? (await readdir(args.schedules)).sort() : []) {
    const dir = join(args.schedules, modelId);
    if (!(await stat(dir)).isDirectory()) continue;
    const names = (await readdir(dir)).filter((n) => n.endsWith(".json") && n !== "manifest.json").sort();
    for (const name of names) await copyChecked(join(dir, name), join(out, "schedules", modelId, name));
    catalogs[modelId] = names.map((name) => `schedules/${modelId}/${name}`);
    count += names.length;
  }
  await mkdir(join(out, "schedules"), { recursive: true });
  await writeFile(join(out, "schedules", "manifest.json"), `${JSON.stringify({ version: 1, catalogs }, null, 2)}\n`);
  return count;
}

const out = args.out;
await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });
if (await exists(args.public)) await cp(args.public, out, { recursive: true });
const models = await copyModels(out);
if (models.length === 0) throw new Error(`no model with onnx/model.onnx under ${args.models}/`);
const fitted = await copySchedules(out);
console.log(`build-assets: ${out}/ ← models: ${models.join(", ")}; ${fitted} schedule/calibration file(s)`);
