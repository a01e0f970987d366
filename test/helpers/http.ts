/**
 * HTTP test fixtures: the app over the default model on onnxruntime-node (loaded once per test
 * file), fitted-data fixtures keyed to the loaded model's id, and small request/SSE helpers.
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { promisify } from "node:util";
import type { Hono } from "hono";
import { buildCatalog, type Catalog } from "../../src/control/catalog.js";
import { createApp } from "../../src/http/app.js";
import { DEFAULT_LIMITS, type Limits } from "../../src/http/limits.js";
import type { Model } from "../../src/model/model.js";
import { nodeModel, TEST_MODEL_DIR } from "./model.js";

export { nodeModel };

/** A schedule file (snake_case, as on disk) holding `temperature` at every position. */
export function scheduleJson(modelId: string, target: number, temperature: number) {
  return {
    version: 1,
    kind: "schedule",
    model_id: modelId,
    target,
    fit: { batch: 8, tokens: 64, window: 16, prompts_hash: "fixture", seed: 1, method: "sa", rollouts: 1, seconds: 0 },
    positions: [0, 64],
    temperatures: [temperature, temperature],
    heldout: { rmse_0_300: 0.1, rmse_0_1000: 0.2, window_bias: {} },
  };
}

/** A calibration file: logit std vs entropy, a plausible monotone table. */
export function calibrationJson(modelId: string) {
  return {
    version: 1,
    kind: "calibration",
    model_id: modelId,
    statistic: "std",
    x: [0.5, 1, 2, 4, 8],
    entropy: [7, 5.5, 3.5, 1.5, 0.3],
    offset: { positions: [0, 64], values: [0, 0.3] },
    gain: 0.1,
    heldout: { mae: 0.2, spearman: 0.9 },
  };
}

/** Fitted targets of the fixture schedules, nats. */
export const FIXTURE_TARGETS = [1, 2, 3] as const;

/** A catalog for `model` through the shared validation path; parts can be left out. */
export function fixtureCatalog(model: Model, parts: { schedules?: boolean; calibration?: boolean } = {}): Catalog {
  const files = [];
  if (parts.schedules ?? true) {
    FIXTURE_TARGETS.forEach((target, k) => {
      files.push({ name: `schedule-${target}.json`, json: scheduleJson(model.id, target, 0.5 + 0.4 * k) });
    });
  }
  if (parts.calibration ?? true) files.push({ name: "calibration.json", json: calibrationJson(model.id) });
  return buildCatalog(model.id, files);
}

export interface TestAppOptions {
  model?: Model;
  catalog?: Catalog;
  limits?: Partial<Limits>;
  apiKey?: string;
}

/** The app over the default model (or `model`), with an empty catalog unless given one. */
export async function testApp(options: TestAppOptions = {}): Promise<Hono> {
  const model = options.model ?? (await nodeModel());
  const catalog = options.catalog ?? {};
  return createApp({
    modelName: model.name,
    limits: { ...DEFAULT_LIMITS, ...options.limits },
    ...(options.apiKey ? { apiKey: options.apiKey } : {}),
    getModel: async () => ({ model, catalog }),
  });
}

/** POST `body` as JSON. */
export function post(app: Hono, path: string, body: unknown, init: RequestInit = {}): Promise<Response> {
  return Promise.resolve(
    app.request(path, {
      method: "POST",
      ...init,
      headers: { "Content-Type": "application/json", ...(init.headers as Record<string, string> | undefined) },
      body: typeof body === "string" ? body : JSON.stringify(body),
    }),
  );
}

/** The `data:` payloads of an SSE body, parsed; "[DONE]" stays a string. */
export async function sseData(res: Response): Promise<unknown[]> {
  const text = await res.text();
  return text
    .split("\n\n")
    .filter((block) => block.startsWith("data: "))
    .map((block) => block.slice(6))
    .map((data) => (data === "[DONE]" ? data : JSON.parse(data)));
}

/** The JSON error body of a failed response. */
export async function errorOf(res: Response): Promise<{ message: string; type: string; param: string | null; code: string | null }> {
  return ((await res.json()) as { error: { message: string; type: string; param: string | null; code: string | null } }).error;
}

export interface AssetTree {
  /** The built tree, what the Worker's ASSETS would serve. */
  readonly out: string;
  /** Source directory of the model's fitted files: schedules/<model id>/. */
  readonly fitted: string;
  /** Run scripts/build-assets.mjs over the sources. */
  build(): Promise<void>;
  remove(): Promise<void>;
}

/** A fresh temporary source tree holding the test model (linked) and an empty fitted-file dir. */
export async function assetTree(modelId: string): Promise<AssetTree> {
  const root = await mkdtemp(join(tmpdir(), "isentropic-assets-"));
  const models = join(root, "models");
  const fitted = join(root, "schedules", modelId);
  await mkdir(models, { recursive: true });
  await mkdir(fitted, { recursive: true });
  await symlink(resolve(TEST_MODEL_DIR), join(models, basename(resolve(TEST_MODEL_DIR))));
  const out = join(root, "out");
  const args = ["scripts/build-assets.mjs", "--out", out, "--models", models, "--schedules", join(root, "schedules"), "--public", join(root, "public")];
  return {
    out,
    fitted,
    build: async () => {
      await promisify(execFile)("node", args);
    },
    remove: () => rm(root, { recursive: true, force: true }),
  };
}
