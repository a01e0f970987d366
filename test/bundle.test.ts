/**
 * The Worker bundle pulls in nothing Node-only: src/index.ts bundled the way wrangler bundles it
 * (esbuild, ESM, browser platform with the workerd conditions, the .wasm import left to the
 * runtime as a compiled module) reads no file under src/cli/, src/fit/ or training/ and imports
 * no node: builtin (wrangler.toml sets no nodejs_compat). Nothing is written; only the metafile
 * is read.
 */
import { fileURLToPath } from "node:url";
import { build, type Plugin } from "esbuild";
import { expect, test } from "vitest";

/** wrangler's CompiledWasm rule: the runtime hands the Worker a WebAssembly.Module. */
const wasmAsModule: Plugin = {
  name: "wasm-as-module",
  setup(b) {
    b.onResolve({ filter: /\.wasm$/ }, (args) => ({ path: args.path, external: true }));
  },
};

test("the Worker bundle reads nothing from src/cli/, src/fit/ or training/, and no node: builtin", async () => {
  const { metafile } = await build({
    absWorkingDir: fileURLToPath(new URL("..", import.meta.url)),
    entryPoints: ["src/index.ts"],
    bundle: true,
    write: false,
    metafile: true,
    format: "esm",
    platform: "browser",
    conditions: ["workerd", "worker", "browser"],
    target: "es2022",
    // left external so the assertion below names them, instead of a resolve error
    external: ["node:*"],
    plugins: [wasmAsModule],
    logLevel: "silent",
  });
  const inputs = Object.keys(metafile.inputs);
  expect(inputs).toContain("src/http/app.ts");
  expect(inputs.filter((path) => /^(src\/cli|src\/fit|training)\//.test(path))).toEqual([]);
  const builtins = Object.entries(metafile.inputs).flatMap(([from, input]) => input.imports.filter((i) => i.path.startsWith("node:")).map((i) => `${from} → ${i.path}`));
  expect(builtins).toEqual([]);
});
