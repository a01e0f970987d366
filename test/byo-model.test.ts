/**
 * The README's path for a user's own model, end to end on the small default model: drop the
 * export in models/<name>/ (config, tokenizer, onnx/model.onnx, nothing else), fit it from a
 * cold start with `npm run fit -- --model models/<name>` (here at toy sizes, into a scratch
 * schedules directory), build the assets, serve it with MODEL=<name>, and find its fitted
 * targets in GET /v1/schedules and a schedule request steered by them.
 */
import { execFile } from "node:child_process";
import { copyFile, mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, test } from "vitest";
import { createNodeApp } from "../src/node-app.js";
import { post } from "./helpers/http.js";
import { nodeModel, TEST_MODEL_DIR } from "./helpers/model.js";

const run = promisify(execFile);
const root = await mkdtemp(join(tmpdir(), "isentropic-byo-"));
afterAll(() => rm(root, { recursive: true, force: true }));
const name = "my-model";
const dir = join(root, "models", name);

describe("bring your own model", () => {
  test("an export dropped in models/<name>/ is fitted from a cold start, served by MODEL=<name>, and lists its targets", async () => {
    await mkdir(join(dir, "onnx"), { recursive: true });
    for (const f of ["config.json", "tokenizer.json", "tokenizer_config.json", "onnx/model.onnx"]) await copyFile(join(TEST_MODEL_DIR, f), join(dir, f));
    const id = (await nodeModel()).id;
    const schedules = join(root, "schedules");
    const toy = ["--batch", "4", "--tokens", "40", "--window", "20", "--fit-full", "1", "--fit-mid", "0", "--fit-short", "1", "--eval-full", "1", "--eval-mid", "0", "--eval-short", "1"];
    await run(process.execPath, [
      "--import",
      "tsx",
      "src/cli/fit.ts",
      ...["--model", dir, "--targets", "4,5", ...toy, "--iterations", "2", "--sweep", "0.7,1.2", "--sessions", "1"],
      ...["--out", join(schedules, id), "--readme", join(root, "README.md")],
    ]);
    expect((await readdir(join(schedules, id))).filter((f) => f.endsWith(".json")).sort()).toEqual(["calibration.json", "target-4.json", "target-5.json"]);
    const out = join(root, "out");
    await run(process.execPath, ["scripts/build-assets.mjs", "--out", out, "--models", join(root, "models"), "--schedules", schedules, "--public", join(root, "public")]);
    const app = createNodeApp(out, { MODEL: name });
    const listed = (await (await app.request("/v1/schedules")).json()) as { model: string; schedules: { target: number }[]; target_range: number[]; calibration: unknown };
    expect(listed.model).toBe(name);
    expect(listed.schedules.map((s) => s.target)).toEqual([4, 5]);
    expect(listed.calibration).not.toBeNull();
    const res = await post(app, "/v1/completions", { model: name, prompt: "And God said", max_tokens: 4, seed: 2, entropy: { mode: "schedule", target: 4.5 } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { entropy: { mode: string } }).entropy.mode).toBe("schedule");
  }, 120_000);
});
