/**
 * fitsIdOf — the model id whose fits the CLI's eval runs a model on: the export's own, or for a
 * weight variant its export's, only where variants.json vouches for these very files.
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { fitsIdOf } from "../src/cli/variant-fits.js";
import type { ModelDtype } from "../src/model/dtype.js";
import { type Model, modelIdOf } from "../src/model/model.js";

const SHIPPED = "models/kjv-gpt2-4m";
const idOfFile = async (path: string) => modelIdOf(new Uint8Array(await readFile(path)));
const [fp32Id, q8Id] = await Promise.all([idOfFile(`${SHIPPED}/onnx/model.onnx`), idOfFile(`${SHIPPED}/onnx/model_quantized.onnx`)]);
/** fitsIdOf reads only a model's id and dtype. */
const loaded = (id: string, dtype: ModelDtype) => ({ id, dtype }) as Model;

const scratch = await mkdtemp(join(tmpdir(), "isentropic-variant-"));
afterAll(() => rm(scratch, { recursive: true, force: true }));

describe("fitsIdOf", () => {
  test("the shipped q8 file runs on the fits of the fp32 export; the export on its own", async () => {
    expect(await fitsIdOf(SHIPPED, loaded(q8Id, "q8"))).toBe(fp32Id);
    expect(await fitsIdOf(SHIPPED, loaded(fp32Id, "fp32"))).toBe(fp32Id);
  });

  test("a variant variants.json did not measure, or measured against another export, keeps its own id", async () => {
    expect(await fitsIdOf(SHIPPED, loaded("0123456789abcdef", "q8"))).toBe("0123456789abcdef");
    const dir = join(scratch, "m");
    await mkdir(join(dir, "onnx"), { recursive: true });
    await writeFile(join(dir, "onnx", "model.onnx"), "another export");
    await copyFile(`${SHIPPED}/variants.json`, join(dir, "variants.json"));
    expect(await fitsIdOf(dir, loaded(q8Id, "q8"))).toBe(q8Id);
    // and with no variants.json at all
    expect(await fitsIdOf(scratch, loaded(q8Id, "q8"))).toBe(q8Id);
  });
});
