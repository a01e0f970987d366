import { describe, expect, test } from "vitest";
import { loadCatalogFromDisk } from "../src/cli/catalog-disk.js";
import { PROBE_POSITIONS, PROBE_ROWS } from "../src/control/prompt-probe.js";
import { SATURATION_FALLBACK_STEPS } from "../src/decode/plan.js";
import type { EntropyReport } from "../src/http/report.js";
import { errorOf, FIXTURE_TARGETS, fixtureCatalog, nodeModel, post, sseData, testApp } from "./helpers/http.js";

interface Telemetry {
  temperature: number;
  entropy_estimate: number | null;
  entropy: number;
}

interface Result {
  choices: { text: string; telemetry: Telemetry[] }[];
  entropy: EntropyReport;
}

const model = await nodeModel();
const full = await testApp({ catalog: fixtureCatalog(model) });
const schedulesOnly = await testApp({ catalog: fixtureCatalog(model, { calibration: false }) });
const bare = await testApp();

const request = (app: typeof full, body: object) => post(app, "/v1/completions", { model: model.name, prompt: "In the beginning", max_tokens: 6, seed: 8, telemetry: true, ...body });
const run = async (app: typeof full, body: object): Promise<Result> => {
  const res = await request(app, body);
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as Result;
};
const temperatures = (r: Result, row = 0) => r.choices[row]!.telemetry.map((t) => t.temperature);

describe("entropy modes", () => {
  test("fixed (the default) samples at the request's temperature", async () => {
    const r = await run(bare, { temperature: 1.3 });
    expect(r.entropy).toMatchObject({ requested_mode: "fixed", mode: "fixed" });
    for (const t of temperatures(r)) expect(t).toBeCloseTo(1.3, 5);
  });

  test("fixed with temperature 0 is greedy: every seed gives the same text", async () => {
    const a = await run(bare, { temperature: 0, seed: 1 });
    const b = await run(bare, { temperature: 0, seed: 2 });
    expect(b.choices[0]!.text).toBe(a.choices[0]!.text);
  });

  test("exact steers T per row from the measured entropy", async () => {
    const r = await run(bare, { entropy: { mode: "exact", target: 2, gain: 0.5, t_min: 0.1, t_max: 3 } });
    expect(r.entropy).toMatchObject({ requested_mode: "exact", mode: "exact" });
    const ts = temperatures(r);
    expect(new Set(ts).size).toBeGreaterThan(1);
    for (const t of ts) expect(t).toBeGreaterThanOrEqual(0.1 - 1e-6);
  });

  test("marginal shares one T across the batch", async () => {
    const r = await run(bare, { n: 3, entropy: { mode: "marginal", target: 3 } });
    expect(r.entropy.mode).toBe("marginal");
    const steps = Math.min(...r.choices.map((c) => c.telemetry.length));
    for (let t = 0; t < steps; t++) {
      expect(temperatures(r, 1)[t]).toBe(temperatures(r, 0)[t]);
      expect(temperatures(r, 2)[t]).toBe(temperatures(r, 0)[t]);
    }
  });

  test("marginal with n = 1 is a 400 on n", async () => {
    const res = await request(bare, { entropy: { mode: "marginal", target: 3 } });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).param).toBe("n");
  });

  test("mirostat runs from tau or from target", async () => {
    expect((await run(bare, { entropy: { mode: "mirostat", tau: 3, eta: 0.2 } })).entropy.mode).toBe("mirostat");
    expect((await run(bare, { entropy: { mode: "mirostat", target: 3 } })).entropy.mode).toBe("mirostat");
  });

  test("schedule_open follows the fitted temperatures, interpolating between targets", async () => {
    const r = await run(full, { entropy: { mode: "schedule_open", target: 2 } });
    expect(r.entropy).toMatchObject({ requested_mode: "schedule_open", mode: "schedule_open" });
    for (const t of temperatures(r)) expect(t).toBeCloseTo(0.9, 5);
    for (const t of r.choices[0]!.telemetry) expect(t.entropy_estimate).toBe(2);
  });

  test("schedule sees the prompt: its first token's entropy is the target, then it corrects the fitted T", async () => {
    for (const target of [1.5, 2.5]) {
      const r = await run(full, { n: 2, entropy: { mode: "schedule", target } });
      expect(r.entropy).toMatchObject({ requested_mode: "schedule", mode: "schedule" });
      for (const c of r.choices) {
        expect(Math.abs(c.telemetry[0]!.entropy - target)).toBeLessThan(1e-3);
        for (const t of c.telemetry) expect(t.entropy_estimate).toBe(target);
      }
      expect(temperatures(r)[0]).not.toBeCloseTo(0.9, 2);
    }
  });

  test("schedule outside the fitted range is a 400 naming the range", async () => {
    const res = await request(full, { entropy: { mode: "schedule", target: 4.5 } });
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error.param).toBe("entropy.target");
    expect(error.message).toContain(`[${FIXTURE_TARGETS[0]}, ${FIXTURE_TARGETS.at(-1)}]`);
  });

  test("schedule, proxy and exact probe the prompt on shadow rows first and say so; entropy.probe false runs without", async () => {
    const shipped = await testApp({ model, catalog: await loadCatalogFromDisk("schedules", model.id) });
    for (const mode of ["schedule", "proxy", "exact"]) {
      const probed = await run(shipped, { entropy: { mode, target: 4 }, max_tokens: 12 });
      expect(probed.entropy.probe, mode).toMatchObject({ rows: PROBE_ROWS, positions: PROBE_POSITIONS });
      // A request of fewer tokens probes only as far as it decodes.
      expect((await run(shipped, { entropy: { mode, target: 4 } })).entropy.probe!.positions).toBe(6);
      expect(probed.entropy.probe!.divergence).toBeGreaterThan(0);
      const plain = await run(shipped, { entropy: { mode, target: 4, probe: false }, max_tokens: 12 });
      expect(plain.entropy.probe, mode).toBeUndefined();
      // Same seed, same uniforms: only the probed aim moves the rows' temperatures.
      expect(temperatures(plain)[0]).toBe(temperatures(probed)[0]);
      expect(temperatures(plain).slice(1, 6)).not.toEqual(temperatures(probed).slice(1, 6));
    }
  });

  test("entropy.probe is a boolean, and only for the modes that probe", async () => {
    for (const entropy of [
      { mode: "fixed", probe: true },
      { mode: "marginal", target: 4, probe: false },
      { mode: "exact", target: 4, probe: "yes" },
    ]) {
      const res = await request(full, { entropy, n: 2 });
      expect(res.status, JSON.stringify(entropy)).toBe(400);
      expect((await errorOf(res)).param).toBe("entropy.probe");
    }
  });

  test("schedule without fitted schedules is a 400 on entropy.mode", async () => {
    const res = await request(bare, { entropy: { mode: "schedule", target: 2 } });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).param).toBe("entropy.mode");
  });

  test("proxy with a calibration runs the proxy controller", async () => {
    const r = await run(full, { entropy: { mode: "proxy", target: 2 } });
    expect(r.entropy).toMatchObject({ requested_mode: "proxy", mode: "proxy" });
    expect(r.entropy.notice).toBeUndefined();
    for (const t of r.choices[0]!.telemetry) expect(t.entropy_estimate).not.toBeNull();
  });

  test("proxy without a calibration runs the schedule and says so", async () => {
    const r = await run(schedulesOnly, { entropy: { mode: "proxy", target: 2 } });
    expect(r.entropy).toMatchObject({ requested_mode: "proxy", mode: "schedule" });
    expect(r.entropy.notice).toMatch(/calibration/);
  });

  test("proxy with nothing fitted runs exact and says so", async () => {
    const r = await run(bare, { entropy: { mode: "proxy", target: 2 } });
    expect(r.entropy).toMatchObject({ requested_mode: "proxy", mode: "exact" });
    expect(r.entropy.notice).toMatch(/exact/);
  });

  // A clamp range far above the T the target needs pins the proxy at t_min on every token, so it
  // must hand over; sampling that hot keeps the rows from ending early on an end-of-text token.
  const pinned = { mode: "proxy", target: 2, t_min: 3.9, t_max: 4 };
  const pastFallback = SATURATION_FALLBACK_STEPS + 4;

  test("a saturated proxy falls back to the schedule, reported with the token it happened at", async () => {
    const r = await run(full, { entropy: pinned, max_tokens: pastFallback, stop: [], temperature: 1 });
    expect(r.entropy).toMatchObject({ requested_mode: "proxy", mode: "proxy" });
    expect(r.entropy.fallback).toMatchObject({ mode: "schedule", at_token: SATURATION_FALLBACK_STEPS - 1 });
    expect(r.entropy.fallback!.reason).toMatch(/saturated/);
    // From the next token the schedule runs: its estimate is the target, the proxy's the table's.
    const telemetry = r.choices[0]!.telemetry;
    expect(telemetry.length).toBeGreaterThan(SATURATION_FALLBACK_STEPS);
    expect(telemetry[SATURATION_FALLBACK_STEPS - 1]!.entropy_estimate).not.toBe(2);
    for (const t of telemetry.slice(SATURATION_FALLBACK_STEPS)) expect(t.entropy_estimate).toBe(2);
  });

  test("a fallback is announced in the stream", async () => {
    const res = await request(full, { entropy: pinned, max_tokens: pastFallback, stream: true });
    const data = await sseData(res);
    const announcements = data.filter((d): d is { choices: []; entropy: Result["entropy"] } => typeof d === "object" && (d as { choices: unknown[] }).choices.length === 0);
    expect(announcements).toHaveLength(1);
    expect(announcements[0]!.entropy).toMatchObject({ mode: "proxy", fallback: { mode: "schedule", at_token: SATURATION_FALLBACK_STEPS - 1 } });
    expect(data.at(-1)).toBe("[DONE]");
  });
});
