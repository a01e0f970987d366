/**
 * Worker entry — the API on Cloudflare Workers. The model, tokenizer and fitted schedules come
 * from the static-assets binding (laid out by scripts/build-assets.mjs) and run on
 * onnxruntime-web's wasm, precompiled at deploy time (workerd compiles no wasm at run time).
 * The app is built on the first request, when the isolate's env is first seen; the model is
 * loaded on first use and kept for the isolate's life.
 */
import type { Hono, MiddlewareHandler } from "hono";
import ortWasm from "onnxruntime-web/ort-wasm-simd-threaded.wasm";
import { readCatalog } from "./assets/catalog.js";
import { readModelFiles } from "./assets/model-files.js";
import { fetcherReader } from "./assets/reader.js";
import { createApp } from "./http/app.js";
import { ApiError } from "./http/errors.js";
import { limitsFromVars } from "./http/limits.js";
import { createLoader } from "./http/loader.js";
import { staticAssets } from "./http/static-assets.js";
import { loadWebModel } from "./model/backend-web.js";
import { parseModelDtype } from "./model/dtype.js";

export interface Env {
  /** Static assets: models/, schedules/ and the manifest. */
  readonly ASSETS: Fetcher;
  /** Directory name under models/ of the model to serve. */
  readonly MODEL: string;
  /** Which ONNX file of it: fp32 (onnx/model.onnx) or q8 (onnx/model_quantized.onnx); fp32 when unset. */
  readonly MODEL_DTYPE?: string;
  readonly MAX_TOKENS?: string;
  readonly MAX_N?: string;
  readonly MAX_PROMPT_TOKENS?: string;
  readonly MAX_CONCURRENT?: string;
  readonly MAX_BODY_BYTES?: string;
  readonly STREAM_IDLE_MS?: string;
  readonly MEMORY_BUDGET_MB?: string;
  /** Secret; when set, /v1 requires `Authorization: Bearer <API_KEY>`. */
  readonly API_KEY?: string;
}

/** A static asset, through the binding (the host is never contacted). */
const assetRequest = (path: string, method: string): Request => new Request(new URL(path, "https://assets.local/"), { method });

function appFor(env: Env): Hono {
  const read = fetcherReader(env.ASSETS);
  const dtype = parseModelDtype(env.MODEL_DTYPE, "fp32");
  const app = createApp({
    modelName: env.MODEL,
    limits: limitsFromVars(env as unknown as Record<string, unknown>),
    ...(env.API_KEY ? { apiKey: env.API_KEY } : {}),
    getModel: createLoader(async () => {
      const model = await loadWebModel(await readModelFiles(read, env.MODEL, dtype), { module: ortWasm });
      return { model, catalog: await readCatalog(read, model.id) };
    }),
  });
  // The Worker runs first on every path (wrangler.toml), so that other methods on a static path
  // get a JSON 405 rather than the asset server's empty one.
  const serve: MiddlewareHandler = async (c, next) => {
    const res = await env.ASSETS.fetch(c.req.raw);
    return res.status === 404 ? next() : res;
  };
  return app.use(
    "*",
    staticAssets(serve, async (path) => (await env.ASSETS.fetch(assetRequest(path, "HEAD"))).ok),
  );
}

let app: Hono | undefined;

export default {
  fetch(request, env, ctx) {
    try {
      app ??= appFor(env);
    } catch (err) {
      return new ApiError(500, `misconfigured deployment: ${err instanceof Error ? err.message : String(err)}`, { code: "misconfigured" }).getResponse();
    }
    return app.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<Env>;
