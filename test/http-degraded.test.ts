/**
 * A broken optional file degrades only the modes that need it: with a corrupt calibration and a
 * corrupt schedule in the asset tree, fixed and mirostat run as ever, exact runs on the
 * conditional entropy, schedule and proxy run on what is left (each saying so), and /healthz and /v1/schedules name the files and why.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { createNodeApp } from "../src/node-app.js";
import { assetTree, nodeModel, post, scheduleJson } from "./helpers/http.js";

const model = await nodeModel();
const tree = await assetTree(model.id);
afterAll(() => tree.remove());
await writeFile(join(tree.fitted, "t1.json"), JSON.stringify(scheduleJson(model.id, 1, 0.6)));
await writeFile(join(tree.fitted, "t3.json"), JSON.stringify(scheduleJson(model.id, 3, 1.4)));
await writeFile(join(tree.fitted, "t2.json"), JSON.stringify({ ...scheduleJson(model.id, 2, 1), positions: [64, 0] }));
await writeFile(join(tree.fitted, "calibration.json"), '{"version": 1, "kind": "calibration", "x": [0.5, 1');
await tree.build();
const app = createNodeApp(tree.out, { MODEL: model.name });
const brokenSchedule = `schedules/${model.id}/t2.json`;
const brokenCalibration = `schedules/${model.id}/calibration.json`;

interface Out {
  entropy: { requested_mode: string; mode: string; notice?: string };
  choices: { text: string }[];
}
const complete = async (entropy: object): Promise<Out> => {
  const res = await post(app, "/v1/completions", { model: model.name, prompt: "And God said", max_tokens: 3, seed: 2, entropy });
  expect(res.status, JSON.stringify(entropy)).toBe(200);
  return (await res.json()) as Out;
};

describe("a corrupt calibration and a corrupt schedule", () => {
  test("/healthz is up, degraded, and names both files with their faults", async () => {
    const res = await app.request("/healthz");
    expect(res.status).toBe(200);
    const health = (await res.json()) as { status: string; schedules: number; calibration: boolean; broken_files: { file: string; error: string }[]; degraded: { mode: string }[] };
    expect(health).toMatchObject({ status: "degraded", schedules: 2, calibration: false });
    expect(health.broken_files).toEqual(
      expect.arrayContaining([
        { file: brokenSchedule, error: expect.stringContaining("positions") },
        { file: brokenCalibration, error: expect.stringContaining("not valid JSON") },
      ]),
    );
    expect(health.degraded.map((d) => d.mode)).toEqual(["proxy", "exact", "marginal"]);
  });

  test("/v1/schedules lists what is usable and what is broken", async () => {
    const res = await app.request("/v1/schedules");
    expect(res.status).toBe(200);
    const out = (await res.json()) as Record<string, unknown>;
    expect(out).toMatchObject({ schedules: [{ target: 1 }, { target: 3 }], target_range: [1, 3], calibration: null });
    expect((out["broken_files"] as unknown[]).length).toBe(2);
  });

  test.each([{ mode: "fixed" }, { mode: "mirostat", tau: 2 }])("$mode runs as ever, with no notice", async (entropy) => {
    const out = await complete(entropy);
    expect(out.entropy.mode).toBe(entropy.mode);
    expect(out.entropy.notice).toBeUndefined();
  });

  test("exact runs, saying it holds the conditional entropy for want of the calibration file named", async () => {
    const out = await complete({ mode: "exact", target: 2 });
    expect(out.entropy.mode).toBe("exact");
    expect(out.entropy.notice).toMatch(/no calibration/);
    expect(out.entropy.notice).toContain(brokenCalibration);
  });

  test("schedule runs on the fitted targets left, naming the file it did without", async () => {
    const out = await complete({ mode: "schedule", target: 2 });
    expect(out.entropy.mode).toBe("schedule");
    expect(out.entropy.notice).toContain(brokenSchedule);
  });

  test("proxy falls back to the schedule, and beyond the schedules to exact, saying why", async () => {
    const inRange = await complete({ mode: "proxy", target: 2 });
    expect(inRange.entropy).toMatchObject({ requested_mode: "proxy", mode: "schedule" });
    expect(inRange.entropy.notice).toMatch(/no proxy calibration/);
    expect(inRange.entropy.notice).toContain(brokenCalibration);
    const outside = await complete({ mode: "proxy", target: 5 });
    expect(outside.entropy).toMatchObject({ requested_mode: "proxy", mode: "exact" });
    expect(outside.entropy.notice).toContain(brokenCalibration);
  });
});
