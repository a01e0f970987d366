/**
 * Engine benchmarks on Node — the decode loop against a bare onnxruntime session, the controllers
 * against one model step, the proxy statistic against exact entropy, and batch scaling.
 *
 * Every generation here runs to its full length: the model is wrapped with no end-of-sequence
 * token, so an early EOS in one arm cannot make it look faster than its partner.
 */
import type { Catalog } from "../control/catalog.js";
import { type Controller, EARLY_SOLVE_POSITIONS } from "../control/controller.js";
import { createFixedController } from "../control/fixed.js";
import type { CalibrationFile } from "../control/schedule-schema.js";
import { generate } from "../decode/generate.js";
import { decodeSteps } from "../decode/kernel.js";
import { type EntropyParams, planControl } from "../decode/plan.js";
import type { CausalLM } from "../model/causal-lm.js";
import type { Model } from "../model/model.js";
import { createDraw } from "../sampling/draw.js";
import { entropyOf } from "../sampling/entropy.js";
import { logitStats } from "../sampling/logit-stats.js";
import { createRng } from "../sampling/rng.js";
import { createStep, type Step } from "../sampling/step.js";
import { type Measurement, measure } from "./bench-measurement.js";
import { interleave } from "./bench-stats.js";

/** What every engine benchmark decodes. */
export interface Workload {
  readonly promptIds: readonly number[];
  /** Tokens generated per row. */
  readonly tokens: number;
  /** Interleaved rounds per measurement. */
  readonly rounds: number;
  readonly seed: number;
}

/** `model` with no end-of-sequence token: generations always run to max tokens. */
export function withoutEos(model: Model): Model {
  return { ...model, spec: { ...model.spec, eosTokenIds: [] } };
}

/** One request's settings, as the bench runs it: its entropy params and rows. */
export interface ModeCase {
  readonly name: string;
  readonly rows: number;
  readonly entropy: EntropyParams;
}

/** Exact control at `rows` rows without the probe: what the batch, variant and workerd figures time (rows, weights, runtimes). */
export const EXACT_UNPROBED = (rows: number): ModeCase => ({ name: "exact", rows, entropy: { mode: "exact", target: 3, probe: false } });

/**
 * The modes the loop and controller figures time (marginal needs a batch). The per-row modes run
 * without the prompt's probe there: it is model steps, not loop or controller work, and
 * benchProbeCost times it.
 */
export const MODE_CASES: readonly ModeCase[] = [
  { name: "fixed", rows: 1, entropy: { mode: "fixed" } },
  EXACT_UNPROBED(1),
  { name: "schedule", rows: 1, entropy: { mode: "schedule", target: 4.25, probe: false } },
  { name: "proxy", rows: 1, entropy: { mode: "proxy", target: 3.5, probe: false } },
  { name: "mirostat", rows: 1, entropy: { mode: "mirostat", tau: 3 } },
  { name: "marginal", rows: 4, entropy: { mode: "marginal", target: 4 } },
];

/**
 * A stand-in proxy calibration, used only when none is fitted for the model: the controller's
 * cost is one pass over the logits plus a lookup in a 16-knot table, whatever the table says.
 */
export function standInCalibration(modelId: string, vocab: number): CalibrationFile {
  const x = Array.from({ length: 16 }, (_, i) => 0.25 + 0.5 * i);
  const entropy = x.map((_, i) => Math.log(vocab) * (1 - i / 16));
  return {
    version: 1,
    kind: "calibration",
    modelId,
    statistic: "std",
    x,
    entropy,
    offset: { positions: [0], values: [0] },
    gain: 0.1,
    heldout: { mae: 0, spearman: 1 },
  };
}

/** Milliseconds to decode one request of `mode` to its full length, consuming every event. */
export async function timeGenerate(model: Model, catalog: Catalog, mode: ModeCase, w: Workload): Promise<number> {
  const plan = planControl(mode.entropy, { temperature: 1, rows: mode.rows, vocabSize: model.spec.vocabSize, catalog });
  const started = performance.now();
  let text = "";
  for await (const e of generate(model, {
    promptIds: w.promptIds,
    rows: mode.rows,
    maxTokens: w.tokens,
    controller: plan.controller,
    ...(plan.probe ? { probe: plan.probe } : {}),
    filters: plan.samplers,
    rng: createRng(w.seed),
  })) {
    if (e.type === "token") text += e.text;
  }
  const elapsed = performance.now() - started;
  if (text.length === 0) throw new Error(`mode ${mode.name} generated no text`);
  return elapsed;
}

/**
 * The baseline: the model module alone (prefill at batch 1, the cache tiled to `rows`, then one
 * step per token, with the model module's own feeds and KV layout) and a plain argmax in
 * JavaScript to pick the next token — the model's cost and nothing of ours. It is the one loop
 * outside src/decode/kernel.ts that steps a model, on purpose: it is what the kernel is measured
 * against, so it must not go through it.
 */
export function createRawDecoder(lm: CausalLM) {
  const V = lm.spec.vocabSize;
  const argmaxInto = (logits: Float32Array, rows: number, into: Int32Array): void => {
    for (let b = 0; b < rows; b++) {
      const base = b * V;
      let best = 0;
      for (let i = 1; i < V; i++) if (logits[base + i]! > logits[base + best]!) best = i;
      into[b] = best;
    }
  };

  /** Milliseconds for prefill plus `tokens − 1` steps at `rows` rows. */
  return async function decode(promptIds: readonly number[], rows: number, tokens: number): Promise<number> {
    const started = performance.now();
    let { logits, cache } = await lm.prefill(promptIds, rows);
    const next = new Int32Array(rows);
    for (let t = 1; t < tokens; t++) {
      argmaxInto(logits, rows, next);
      ({ logits, cache } = await lm.step(next, cache));
    }
    return performance.now() - started;
  };
}

export type RawDecode = ReturnType<typeof createRawDecoder>;

/** Decode loop / raw session, per mode. */
export async function benchLoopOverhead(model: Model, catalog: Catalog, raw: RawDecode, w: Workload): Promise<Measurement[]> {
  const out: Measurement[] = [];
  for (const mode of MODE_CASES) {
    const [loop, bare] = await interleave(w.rounds, [() => timeGenerate(model, catalog, mode, w), () => raw(w.promptIds, mode.rows, w.tokens)]);
    out.push(
      measure(
        { key: `loop.${mode.name}`, group: "loop overhead", what: `decode loop / raw ORT steps, ${mode.name}, n = ${mode.rows}, ${w.tokens} tokens`, unit: "ms" },
        { label: "isentropic generate()", values: loop! },
        { label: "raw session + argmax", values: bare! },
      ),
    );
  }
  return out;
}

/**
 * `lm` with the time spent in `step` added up, so a decode through the kernel reports the model's
 * share of it without a second loop.
 */
function timedSteps(lm: CausalLM): { lm: CausalLM; readonly ms: number; readonly steps: number } {
  let ms = 0;
  let steps = 0;
  const step: CausalLM["step"] = async (tokens, cache) => {
    const started = performance.now();
    const out = await lm.step(tokens, cache);
    ms += performance.now() - started;
    steps++;
    return out;
  };
  return {
    lm: { ...lm, prefill: lm.prefill.bind(lm), step },
    get ms() {
      return ms;
    },
    get steps() {
      return steps;
    },
  };
}

/** A decode through the kernel at fixed T = 1: the logits of every position, and ms per model step. */
async function recordDecode(model: Model, rows: number, w: Workload): Promise<{ logits: Float32Array[]; msPerStep: number }> {
  const timed = timedSteps(model.lm);
  const logits: Float32Array[] = [];
  const steps = decodeSteps(timed.lm, { promptIds: w.promptIds, rows, maxTokens: w.tokens, policy: createFixedController(1), rng: createRng(w.seed) });
  for await (const step of steps) logits.push(step.logits.slice());
  return { logits, msPerStep: timed.ms / timed.steps };
}

/**
 * Milliseconds per token in the controller's apply and accept (the draw between them untimed):
 * over the whole decode, and over the positions from EARLY_SOLVE_POSITIONS on alone. The first
 * positions solve T exactly (a few passes of V exponentials per row), a fixed cost per request
 * like the prompt's prefill; from there on each token costs what the controller's feedback does.
 */
function timeController(controller: Controller, recorded: readonly Float32Array[], rows: number, vocab: number, seed: number): { whole: number; steady: number } {
  const draw = createDraw(createRng(seed));
  let step: Step | undefined;
  let early = 0;
  let steady = 0;
  for (let t = 0; t < recorded.length; t++) {
    step = createStep(recorded[t]!, rows, vocab, t, undefined, step);
    const a = performance.now();
    controller.apply(step);
    let spent = performance.now() - a;
    draw.apply(step);
    const b = performance.now();
    controller.accept?.(step.tokens, step);
    spent += performance.now() - b;
    if (t < EARLY_SOLVE_POSITIONS) early += spent;
    else steady += spent;
  }
  return { whole: (early + steady) / recorded.length, steady: steady / Math.max(1, recorded.length - EARLY_SOLVE_POSITIONS) };
}

/**
 * Controller time per token / one model step, for the controllers that cost more than a scale:
 * `controller.<mode>` over a whole request of the workload's length (the first positions' exact
 * solves included), `controller.<mode>.steady` per token after them, and
 * `controller.<mode>.added` the steady time less what plain sampling at a fixed T spends in the
 * same place (scaling the same rows), timed beside it in the same round: what steering costs
 * over the sampling it replaces.
 */
export async function benchControllerCost(model: Model, catalog: Catalog, w: Workload): Promise<Measurement[]> {
  const V = model.spec.vocabSize;
  const out: Measurement[] = [];
  for (const mode of MODE_CASES.filter((m) => ["proxy", "exact", "schedule", "marginal"].includes(m.name))) {
    const recorded = (await recordDecode(model, mode.rows, w)).logits;
    const ctx = { temperature: 1, rows: mode.rows, vocabSize: V, catalog };
    // One timed run per round gives every figure; the steady and added ones are kept beside, by round.
    const steady: number[] = [];
    const added: number[] = [];
    const [whole, step] = await interleave(w.rounds, [
      async () => {
        const spent = timeController(planControl(mode.entropy, ctx).controller, recorded, mode.rows, V, w.seed);
        // Plain sampling at a fixed T scales the same rows in the same place: its time is not steering.
        const plain = timeController(createFixedController(PLAIN_TEMPERATURE), recorded, mode.rows, V, w.seed);
        steady.push(spent.steady);
        added.push(spent.steady - plain.steady);
        return spent.whole;
      },
      async () => (await recordDecode(model, mode.rows, w)).msPerStep,
    ]);
    out.push(
      measure(
        { key: `controller.${mode.name}`, group: "controller cost", what: `${mode.name} controller (apply + accept) / one model step, n = ${mode.rows}, ${w.tokens} tokens`, unit: "ms/token" },
        { label: `${mode.name} controller`, values: whole! },
        { label: "CausalLM.step", values: step! },
      ),
      measure(
        {
          key: `controller.${mode.name}.steady`,
          group: "controller cost",
          what: `${mode.name} controller per token from position ${EARLY_SOLVE_POSITIONS} on / one model step, n = ${mode.rows}`,
          unit: "ms/token",
        },
        { label: `${mode.name} controller, t ≥ ${EARLY_SOLVE_POSITIONS}`, values: steady },
        { label: "CausalLM.step", values: step! },
      ),
      measure(
        {
          key: `controller.${mode.name}.added`,
          group: "controller cost",
          what: `${mode.name} controller per token from position ${EARLY_SOLVE_POSITIONS} on, less plain sampling at T = ${PLAIN_TEMPERATURE} on the same rows / one model step, n = ${mode.rows}`,
          unit: "ms/token",
        },
        { label: `${mode.name} over fixed T, t ≥ ${EARLY_SOLVE_POSITIONS}`, values: added },
        { label: "CausalLM.step", values: step! },
      ),
    );
  }
  return out;
}

/** The fixed temperature whose scaling the `.added` figures subtract. */
const PLAIN_TEMPERATURE = 0.8;

/** Vocabulary sizes of the synthetic logits: 2k, 32k (Llama 2), 50k (GPT-2), 152k (Qwen 2). */
export const SYNTHETIC_VOCABS = [2048, 32000, 50257, 151936] as const;

/** Gaussian logits (σ = 3) from a seeded stream: Box–Muller. */
function syntheticLogits(vocab: number, seed: number): Float32Array {
  const rng = createRng(seed);
  const z = new Float32Array(vocab);
  for (let i = 0; i < vocab; i++) z[i] = 3 * Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
  return z;
}

/** Nanoseconds per element of `f` over `z`, repeated to cover about `elements` elements. */
function nsPerElement(z: Float32Array, elements: number, f: (z: Float32Array) => number): number {
  const reps = Math.max(1, Math.ceil(elements / z.length));
  let sink = 0;
  const started = performance.now();
  for (let r = 0; r < reps; r++) sink += f(z);
  const ns = ((performance.now() - started) * 1e6) / (reps * z.length);
  if (Number.isNaN(sink)) throw new Error("statistic was NaN");
  return ns;
}

/** Proxy statistic (one pass, no exponentials) / exact entropy at a temperature (V exponentials), per element. */
export async function benchStatistic(w: Workload, elements: number): Promise<Measurement[]> {
  const out: Measurement[] = [];
  for (const vocab of SYNTHETIC_VOCABS) {
    const z = syntheticLogits(vocab, w.seed);
    const [stat, exact] = await interleave(w.rounds, [async () => nsPerElement(z, elements, (x) => logitStats(x).std), async () => nsPerElement(z, elements, (x) => entropyOf(x, 0.8))]);
    out.push(
      measure(
        { key: `statistic.${vocab}`, group: "proxy statistic", what: `logitStats / entropyOf(z, T), V = ${vocab}`, unit: "ns/element" },
        { label: "logitStats", values: stat! },
        { label: "entropyOf", values: exact! },
      ),
    );
  }
  return out;
}

/** Tokens per row of the request the probe's cost is measured on. */
export const PROBE_BENCH_TOKENS = 256;

/**
 * A schedule request with the prompt's probe / the same without (n = 1, PROBE_BENCH_TOKENS
 * tokens, same seed): what probing 8 shadow rows over 10 positions adds to one request.
 */
export async function benchProbeCost(model: Model, catalog: Catalog, w: Workload): Promise<Measurement[]> {
  const long = { ...w, tokens: PROBE_BENCH_TOKENS };
  const schedule = (probe: boolean): ModeCase => ({ name: "schedule", rows: 1, entropy: { mode: "schedule", target: 4.25, probe } });
  const [probed, plain] = await interleave(w.rounds, [() => timeGenerate(model, catalog, schedule(true), long), () => timeGenerate(model, catalog, schedule(false), long)]);
  return [
    measure(
      { key: "probe.schedule", group: "prompt probe", what: `schedule with / without the prompt's probe, n = 1, ${PROBE_BENCH_TOKENS} tokens`, unit: "ms" },
      { label: "probed", values: probed! },
      { label: "entropy.probe false", values: plain! },
    ),
  ];
}

/** Batch sizes of the scaling table. */
export const BATCHES = [1, 4, 8, 30] as const;

/** Row-tokens per second at each batch size (exact mode), as a ratio to n = 1. */
export async function benchBatchScaling(model: Model, catalog: Catalog, w: Workload): Promise<Measurement[]> {
  const rate = (rows: number) => async () => {
    const ms = await timeGenerate(model, catalog, EXACT_UNPROBED(rows), w);
    return (rows * w.tokens * 1000) / ms;
  };
  const rates = await interleave(w.rounds, BATCHES.map(rate));
  return BATCHES.slice(1).map((rows, i) =>
    measure(
      { key: `batch.${rows}`, group: "batch scaling", what: `tokens/s at n = ${rows} / n = 1 (exact, ${w.tokens} tokens per row)`, unit: "tokens/s" },
      { label: `n = ${rows}`, values: rates[i + 1]! },
      { label: "n = 1", values: rates[0]! },
    ),
  );
}
