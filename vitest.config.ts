/**
 * Three test projects. `unit`: pure code (sampling, control, fitting and report math, CLI parsing, the memory model),
 * picked by file-name prefix, seconds in all (`npm run test:unit`). `integration`: every other
 * test file, the ones that load the model or start a server, workerd or Chromium. `llama`: the
integration files that run the served model, again on the Llama-architecture model
(TEST_MODEL=kjv-llama-2m, read by test/helpers/model.ts): the same API, decode, Worker and memory
checks for a grouped-query, rotary, RMSNorm, SwiGLU export as for the default GPT-2.
 *
 * A unit test that reaches a runtime (onnxruntime, wrangler, playwright, a Node HTTP server),
 * directly or through src/, fails at import with a message saying where it belongs, so a slow
 * file cannot hide in the fast project. (Node builtins bypass this check: a unit test that spawns
 * processes goes in UNIT_EXCEPTIONS by hand.)
 */
import { readdirSync } from "node:fs";
import { defineConfig } from "vitest/config";

/** Areas whose tests are pure: test/<area>-*.test.ts. */
const UNIT_AREAS = ["sampling", "control", "fit", "bench", "eval", "cli", "memory"];
/** Files in those areas that read the shipped model or spawn processes. */
const UNIT_EXCEPTIONS = ["fit-shipped.test.ts", "cli-entries.test.ts"];
/** The second shipped model, and the integration files that run on whichever model TEST_MODEL names. */
const SECOND_MODEL = "kjv-llama-2m";
const MODEL_PARAMETRIZED = [
  "model.test.ts",
  "model-parts.test.ts",
  "decode.test.ts",
  "decode-kernel.test.ts",
  "fit-shipped.test.ts",
  "http-auth.test.ts",
  "http-body-limit.test.ts",
  "http-cancel.test.ts",
  "http-chat.test.ts",
  "http-completions.test.ts",
  "http-degraded.test.ts",
  "http-memory.test.ts",
  "http-modes.test.ts",
  "http-service.test.ts",
  "http-stream.test.ts",
  "http-validation.test.ts",
  "http-variant.test.ts",
  "openai-client.test.ts",
  "worker.test.ts",
  "worker-memory.test.ts",
];
/** Packages that load a model or start a runtime or server. */
const RUNTIMES = ["onnxruntime-node", "onnxruntime-web", "wrangler", "miniflare", "playwright-core", "@hono/node-server"];

const isUnit = (file: string): boolean => UNIT_AREAS.some((area) => file.startsWith(`${area}-`)) && !UNIT_EXCEPTIONS.includes(file);
const testFiles = readdirSync(new URL("./test/", import.meta.url), { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".test.ts"));
const GUARD = "\0unit-runtime-guard:";
const unlisted = MODEL_PARAMETRIZED.filter((f) => !testFiles.includes(f));
if (unlisted.length > 0) throw new Error(`vitest.config.ts: MODEL_PARAMETRIZED names files that do not exist: ${unlisted.join(", ")}`);

/** Resolves a runtime package to a module that throws on import (unit project only). */
const refuseRuntimes = {
  name: "refuse-runtimes-in-unit-tests",
  enforce: "pre" as const,
  resolveId(id: string) {
    return RUNTIMES.some((p) => id === p || id.startsWith(`${p}/`)) ? GUARD + id : undefined;
  },
  load(id: string) {
    if (!id.startsWith(GUARD)) return undefined;
    const message = `a unit test must not load ${id.slice(GUARD.length)}: add the file to UNIT_EXCEPTIONS in vitest.config.ts, or split the part that needs it into an integration test`;
    return `throw new Error(${JSON.stringify(message)});`;
  },
};

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    projects: [
      {
        extends: true,
        plugins: [refuseRuntimes],
        // Pure code keeps no state between files, so they share workers: 5 s instead of 14 on 2 cores.
        test: { name: "unit", include: testFiles.filter(isUnit).map((f) => `test/${f}`), isolate: false },
      },
      {
        extends: true,
        test: { name: "integration", include: testFiles.filter((f) => !isUnit(f)).map((f) => `test/${f}`) },
      },
      {
        extends: true,
        test: { name: "llama", include: MODEL_PARAMETRIZED.map((f) => `test/${f}`), env: { TEST_MODEL: SECOND_MODEL } },
      },
    ],
  },
});
