/**
 * The fitted files shipped for the model under test (each shipped model, see vitest.config.ts) must
 * belong to it: a retrained model without refitted schedules fails here, loudly, instead of
 * steering generations with stale numbers.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadCatalogFromDisk } from "../src/cli/catalog-disk.js";
import { parseSchedule } from "../src/control/schedule-schema.js";
import { WINDOWS, windowLabel } from "../src/fit/metrics.js";
import { modelIdOf } from "../src/model/model.js";
import { TEST_MODEL_DIR } from "./helpers/model.js";

const onnx = join(TEST_MODEL_DIR, "onnx", "model.onnx");

describe("shipped schedules", () => {
  it("exist for the model's current export, parse, and carry their held-out numbers", async () => {
    expect(existsSync(onnx), `${onnx} is missing: train and export the model first`).toBe(true);
    const id = await modelIdOf(new Uint8Array(readFileSync(onnx)));
    const dir = join("schedules", id);
    expect(existsSync(dir), `no fitted schedules for model ${id}: run npm run fit for ${TEST_MODEL_DIR}`).toBe(true);
    const catalog = await loadCatalogFromDisk("schedules", id);
    // the low end, the middle and the high end of the range at least (the README's cold start fits three)
    expect(catalog.schedules?.schedules.length ?? 0).toBeGreaterThanOrEqual(3);
    // buildCatalog already refuses a calibration fitted for another model id
    const calibration = catalog.calibration;
    expect(calibration, `no proxy calibration for model ${id}: run npm run fit -- --calibration-only`).toBeDefined();
    expect(calibration!.modelId).toBe(id);
    // rows share the prompt at t = 0, so marginal equals conditional there: the offset starts at 0
    expect(calibration!.offset.values[0]).toBe(0);
    expect(existsSync(join(dir, "calibration.svg"))).toBe(true);
    for (const name of readdirSync(dir).filter((n) => n.startsWith("target-") && n.endsWith(".json"))) {
      const file = parseSchedule(JSON.parse(readFileSync(join(dir, name), "utf8")));
      expect(file.modelId).toBe(id);
      expect(existsSync(join(dir, name.replace(/\.json$/, ".svg")))).toBe(true);
      expect(Object.keys(file.heldout.windowBias)).toEqual(WINDOWS.filter(([from]) => from < file.fit.tokens).map(windowLabel));
      expect(file.heldout.noiseFloor0To300).toBeGreaterThan(0);
      expect(file.baseline?.temperature).toBeGreaterThan(0);
    }
    expect(readFileSync(join("schedules", "README.md"), "utf8")).toContain(id);
  });
});
