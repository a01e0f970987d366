import { describe, expect, test } from "vitest";
import { loadCatalogFromDisk } from "../src/cli/catalog-disk.js";
import { createFixedController } from "../src/control/fixed.js";
import { createMarginalController } from "../src/control/marginal.js";
import { PROBE_ROWS } from "../src/control/prompt-probe.js";
import { createScheduleSet } from "../src/control/schedule.js";
import type { CalibrationFile } from "../src/control/schedule-schema.js";
import { tableAtTarget } from "../src/control/target-table.js";
import { type GenerateEvent, generate, type TokenEvent } from "../src/decode/generate.js";
import { decodeSteps } from "../src/decode/kernel.js";
import { type Catalog, type EntropyParams, MODES, planControl } from "../src/decode/plan.js";
import type { Model } from "../src/model/model.js";
import { entropyOf } from "../src/sampling/entropy.js";
import { logitStats } from "../src/sampling/logit-stats.js";
import { OptionError } from "../src/sampling/option-error.js";
import { createRng } from "../src/sampling/rng.js";
import { createStep } from "../src/sampling/step.js";
import { nodeModel, webModel } from "./helpers/model.js";
import { drive } from "./plant.js";

const PROMPT = "And it came to pass";

async function run(model: Model, p: EntropyParams, opts: { n?: number; tokens?: number; seed?: number; catalog?: Catalog; temperature?: number; stop?: string[]; signal?: AbortSignal } = {}) {
  const rows = opts.n ?? 1;
  const plan = planControl(p, { temperature: opts.temperature ?? 1, rows, vocabSize: model.spec.vocabSize, catalog: opts.catalog ?? {} });
  const events: GenerateEvent[] = [];
  for await (const e of generate(model, {
    promptIds: model.tokenizer.encode(PROMPT),
    rows,
    maxTokens: opts.tokens ?? 24,
    controller: plan.controller,
    filters: plan.samplers,
    rng: createRng(opts.seed ?? 7),
    ...(opts.stop ? { stop: opts.stop } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  })) {
    events.push(e);
  }
  const tokens = events.filter((e): e is TokenEvent => e.type === "token");
  return { plan, events, tokens, rows: Array.from({ length: rows }, (_, b) => tokens.filter((t) => t.row === b)) };
}

/**
 * PROVISIONAL calibration, derived here from one T=1 rollout of the default model (the offline
 * fitter replaces it with a fitted one): logit std vs exact entropy, binned and made monotone.
 */
async function provisionalCalibration(model: Model): Promise<CalibrationFile> {
  const V = model.spec.vocabSize;
  const pairs: [number, number][] = [];
  const steps = decodeSteps(model.lm, { promptIds: model.tokenizer.encode(PROMPT), rows: 8, maxTokens: 48, policy: createFixedController(1), rng: createRng(3) });
  for await (const step of steps) {
    for (let b = 0; b < 8; b++) {
      const z = step.logits.subarray(b * V, (b + 1) * V);
      pairs.push([logitStats(z).std, entropyOf(z, 1)]);
    }
  }
  pairs.sort((a, b) => a[0] - b[0]);
  const x: number[] = [];
  const entropy: number[] = [];
  const bins = 8;
  for (let k = 0; k < bins; k++) {
    const slice = pairs.slice(Math.floor((k * pairs.length) / bins), Math.floor(((k + 1) * pairs.length) / bins));
    x.push(slice.reduce((a, p) => a + p[0], 0) / slice.length);
    const h = slice.reduce((a, p) => a + p[1], 0) / slice.length;
    entropy.push(Math.min(h, entropy.at(-1) ?? Infinity));
  }
  return {
    version: 1,
    kind: "calibration",
    modelId: model.id,
    statistic: "std",
    x,
    entropy,
    offset: { positions: [0, 1000], values: [0, 0] },
    gain: 0.1,
    heldout: { mae: Number.NaN, spearman: Number.NaN },
  };
}

/** PROVISIONAL schedules: flat temperatures at two targets, enough to exercise schedule mode end to end. */
const provisionalSchedules = createScheduleSet([
  { target: 2, positions: [0, 1000], temperatures: [0.7, 0.7] },
  { target: 5, positions: [0, 1000], temperatures: [1.3, 1.3] },
]);

describe("decode loop on the default model", () => {
  test("every mode runs end to end and reports per-token telemetry", async () => {
    const model = await nodeModel();
    const catalog: Catalog = { schedules: provisionalSchedules, calibration: await provisionalCalibration(model) };
    for (const mode of MODES) {
      const n = mode === "marginal" ? 3 : 1;
      const { plan, rows } = await run(model, { mode, target: 3 }, { n, catalog, tokens: 16 });
      expect(plan.mode).toBe(mode);
      for (const row of rows) {
        expect(row.length).toBeGreaterThan(0);
        for (const t of row) {
          expect(t.tokenId).toBeGreaterThanOrEqual(0);
          expect(t.temperature).toBeGreaterThan(0);
          expect(t.entropy).toBeGreaterThanOrEqual(0);
          expect(t.logprob).toBeLessThanOrEqual(0);
        }
        expect(row.at(-1)!.finishReason).toBeDefined();
      }
    }
  });

  test("the same seed replays identical tokens and telemetry, on both backends", async () => {
    const [n, w] = await Promise.all([nodeModel(), webModel()]);
    const a = await run(n, { mode: "exact", target: 3 }, { n: 2, seed: 11 });
    const b = await run(n, { mode: "exact", target: 3 }, { n: 2, seed: 11 });
    const c = await run(w, { mode: "exact", target: 3 }, { n: 2, seed: 11 });
    const d = await run(n, { mode: "exact", target: 3 }, { n: 2, seed: 12 });
    const ids = (r: typeof a) => r.tokens.map((t) => t.tokenId);
    expect(ids(b)).toEqual(ids(a));
    expect(b.tokens).toEqual(a.tokens);
    expect(ids(c)).toEqual(ids(a));
    for (let i = 0; i < a.tokens.length; i++) expect(c.tokens[i]!.temperature).toBeCloseTo(a.tokens[i]!.temperature, 3);
    expect(ids(d)).not.toEqual(ids(a));
  });

  test("greedy decoding with the KV cache equals decoding without it", async () => {
    const model = await nodeModel();
    const { tokens } = await run(model, { mode: "fixed" }, { temperature: 0, tokens: 12 });
    const ids = model.tokenizer.encode(PROMPT);
    for (const t of tokens) {
      const { logits } = await model.lm.prefill(ids, 1);
      let best = 0;
      for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[best]!) best = i;
      expect(t.tokenId).toBe(best);
      ids.push(t.tokenId);
    }
  });

  test("exact control holds per-token entropy near the target", async () => {
    const model = await nodeModel();
    const { rows } = await run(model, { mode: "exact", target: 2.5 }, { n: 4, tokens: 80 });
    const late = rows.flatMap((r) => r.slice(30).map((t) => t.entropy));
    const mean = late.reduce((a, b) => a + b, 0) / late.length;
    expect(Math.abs(mean - 2.5)).toBeLessThan(0.35);
  });

  test("stop strings end a row and are not shown", async () => {
    const model = await nodeModel();
    const free = await run(model, { mode: "fixed" }, { temperature: 0, tokens: 30 });
    const text = free.tokens.map((t) => t.text).join("");
    const stop = text.slice(10, 14);
    const cut = await run(model, { mode: "fixed" }, { temperature: 0, tokens: 30, stop: [stop] });
    const shown = cut.tokens.map((t) => t.text).join("");
    expect(shown).toBe(text.slice(0, text.indexOf(stop)));
    expect(cut.tokens.at(-1)!.finishReason).toBe("stop");
    expect(free.tokens.at(-1)!.finishReason).toBe("length");
  });

  test("an aborted signal stops decoding within one token", async () => {
    const model = await nodeModel();
    const ac = new AbortController();
    const plan = planControl({ mode: "fixed" }, { temperature: 1, rows: 1, vocabSize: model.spec.vocabSize, catalog: {} });
    let seen = 0;
    for await (const e of generate(model, { promptIds: model.tokenizer.encode(PROMPT), rows: 1, maxTokens: 200, controller: plan.controller, filters: [], rng: createRng(1), signal: ac.signal })) {
      if (e.type === "token") seen++;
      if (seen === 5) ac.abort();
    }
    expect(seen).toBe(5);
  });

  test("a saturated proxy controller hands over to the schedule and says so", async () => {
    const model = await nodeModel();
    const catalog: Catalog = { schedules: provisionalSchedules, calibration: await provisionalCalibration(model) };
    // t_max far below what target 4.5 needs: the proxy sits at the clamp
    const { events, plan } = await run(model, { mode: "proxy", target: 4.5, tMax: 0.3 }, { catalog, tokens: 40 });
    expect(plan.mode).toBe("proxy");
    const fb = events.find((e) => e.type === "fallback");
    expect(fb).toMatchObject({ type: "fallback", from: "proxy", to: "schedule" });
    const after = events.filter((e): e is TokenEvent => e.type === "token" && e.index > (fb as { index: number }).index);
    expect(after.length).toBeGreaterThan(0);
    expect(after.every((t) => t.temperature > 0.3)).toBe(true);
  });
});

describe("plan", () => {
  const ctx = (catalog: Catalog = {}, rows = 1) => ({ temperature: 1, rows, vocabSize: 4096, catalog });

  test("proxy without calibration degrades to the schedule, then to exact, saying why", () => {
    const withSchedules = planControl({ mode: "proxy", target: 3 }, ctx({ schedules: provisionalSchedules }));
    expect(withSchedules.mode).toBe("schedule");
    expect(withSchedules.notice?.reason).toMatch(/no proxy calibration/);
    const bare = planControl({ mode: "proxy", target: 3 }, ctx());
    expect(bare.mode).toBe("exact");
    expect(bare.notice?.reason).toMatch(/no fitted schedule/);
  });

  test("puts every target on the 30-row scale where the calibration can, and says so where it cannot", async () => {
    const model = await nodeModel();
    const calibration = await provisionalCalibration(model);
    const table = {
      targets: [2, 5],
      positions: [0, 1000],
      values: [
        [0, 1],
        [0, 0.5],
      ],
    };
    const withGaps: Catalog = { schedules: provisionalSchedules, calibration: { ...calibration, offsets: table, marginalGaps: [{ rows: 3, table }] } };
    expect(planControl({ mode: "marginal", target: 3 }, ctx(withGaps, 3)).notice).toBeUndefined();
    // marginal scales the fitted 30-row − 3-row gap by the batch's divergence over the 30-row − 1-row offset.
    const plant = { rows: 3, vocab: 512, steps: 40, seed: 4 };
    const planned = drive(planControl({ mode: "marginal", target: 3 }, ctx(withGaps, 3)).controller, plant);
    const at3 = tableAtTarget(table, 3);
    expect(planned.temperature).toEqual(drive(createMarginalController({ target: 3, vocabSize: 4096, offset: at3, spread: at3 }), plant).temperature);
    expect(planned.temperature).not.toEqual(drive(createMarginalController({ target: 3, vocabSize: 4096, offset: at3 }), plant).temperature);
    expect(planControl({ mode: "marginal", target: 3 }, ctx(withGaps, 4)).notice?.reason).toMatch(/no 30-row gap fitted for n = 4/);
    expect(planControl({ mode: "exact", target: 3 }, ctx(withGaps)).notice).toBeUndefined();
    expect(planControl({ mode: "exact", target: 3 }, ctx()).notice?.reason).toMatch(/conditional entropy/);
    expect(planControl({ mode: "schedule", target: 3 }, ctx(withGaps)).controller.name).toBe("schedule");
    expect(planControl({ mode: "schedule_open", target: 3 }, ctx(withGaps)).mode).toBe("schedule_open");
  });

  test.each(["schedule", "proxy", "exact"] as const)("%s: the probe's divergence scales the early aims, t = 1 solved for target − s·offset(1) to 1e-3 nats", async (mode) => {
    const model = await nodeModel();
    const catalog = await loadCatalogFromDisk("schedules", model.id);
    const V = model.spec.vocabSize;
    const target = 3.5;
    const plan = planControl({ mode, target }, { temperature: 1, rows: 1, vocabSize: V, catalog });
    const probe = plan.probe!;
    expect(probe.rows).toBe(PROBE_ROWS);
    // Shadow rows that never part (all on one token): this prompt diverges far slower than the fitted average.
    for (let t = 0; t < probe.positions; t++) {
      const shadow = createStep(new Float32Array(probe.rows * V), probe.rows, V, t);
      for (let b = 0; b < probe.rows; b++) shadow.probs[b * V] = 1;
      probe.observe(shadow);
    }
    const s = probe.scale;
    expect(s).toBeLessThan(0.5);
    const offset = tableAtTarget(catalog.calibration!.offsets!, target)(1);
    expect(offset).toBeGreaterThan(0.3);
    const logits = new Float32Array(V);
    const rng = createRng(5);
    for (let i = 0; i < V; i++) logits[i] = 4 * (rng.next() + rng.next() + rng.next() - 1.5);
    const step = createStep(logits, 1, V, 1);
    plan.controller.apply(step);
    const entropy = entropyOf(logits, step.temperature[0]!);
    expect(Math.abs(entropy - (target - s * offset))).toBeLessThan(1e-3);
  });

  test("probes the prompt for the per-row modes only, and only where the calibration fits the probe's gap", async () => {
    const model = await nodeModel();
    const catalog = await loadCatalogFromDisk("schedules", model.id);
    const planned = (mode: EntropyParams["mode"], rows = 1, c: Catalog = catalog) => planControl({ mode, target: 4, tau: 4 }, { temperature: 1, rows, vocabSize: model.spec.vocabSize, catalog: c });
    for (const mode of ["schedule", "proxy", "exact"] as const) expect(planned(mode).probe, mode).toBeDefined();
    for (const mode of ["fixed", "schedule_open", "mirostat"] as const) expect(planned(mode).probe, mode).toBeUndefined();
    expect(planned("marginal", 4).probe).toBeUndefined();
    const calibration = catalog.calibration!;
    const without = { ...catalog, calibration: { ...calibration, marginalGaps: calibration.marginalGaps!.filter((g) => g.rows !== PROBE_ROWS) } };
    expect(planned("schedule", 1, without).probe).toBeUndefined();
    expect(planned("schedule", 1, without).notice).toBeUndefined();
  });

  test("rejects what cannot run, naming the field", () => {
    const fails = (p: EntropyParams, c = ctx(), param: string, msg: RegExp) => {
      try {
        planControl(p, c);
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(OptionError);
        expect((e as OptionError).option).toBe(param);
        expect((e as Error).message).toMatch(msg);
      }
    };
    fails({ mode: "exact" }, ctx(), "target", /required/);
    fails({ mode: "exact", target: 9 }, ctx(), "target", /ln V/);
    fails({ mode: "marginal", target: 3 }, ctx(), "rows", /at least 2/);
    fails({ mode: "schedule", target: 3 }, ctx(), "mode", /no fitted schedules/);
    fails({ mode: "schedule", target: 6 }, ctx({ schedules: provisionalSchedules }), "target", /\[2, 5\]/);
    fails({ mode: "mirostat" }, ctx(), "tau", /tau/);
    fails({ mode: "mirostat", tau: 9 }, ctx(), "tau", /ln V/);
    fails({ mode: "mirostat", tau: 2, eta: 0 }, ctx(), "eta", /eta/);
    fails({ mode: "exact", target: 3, tMin: -1 }, ctx(), "tMin", /t_min/);
    fails({ mode: "exact", target: 3, tMax: 3e38 }, ctx(), "tMax", /t_max/);
    fails({ mode: "proxy", target: 3, gain: 50 }, ctx(), "gain", /gain/);
  });
});
