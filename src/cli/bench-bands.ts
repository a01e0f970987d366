/**
 * Bands — the ranges the README promises for the benchmark's ratios, and the check that
 * `npm run bench -- --check` turns into its exit status. Pure.
 *
 * Each band bounds the median of one measurement's per-pair ratios. They are set from measured
 * values with wide margins: a band is a guard against a regression (an allocation per element,
 * a softmax too many), not a performance target, and must hold on a busy 2-core machine.
 */
import { SYNTHETIC_VOCABS } from "./bench-engine.js";

export interface Band {
  /** The measurement key it bounds, e.g. "loop.exact". */
  readonly key: string;
  readonly min?: number;
  readonly max?: number;
  /** What the band promises, in words. */
  readonly promise: string;
}

const loop = (mode: string, max: number): Band => ({
  key: `loop.${mode}`,
  max,
  promise: `${mode}: the decode loop (sampling, control, detokenizing) adds at most ${Math.round((max - 1) * 100)}% to bare onnxruntime steps`,
});

/** A controller's per-token cost over plain fixed-T sampling, after its solved first positions. */
const added = (mode: string, why = ""): Band => ({
  key: `controller.${mode}.added`,
  max: 0.05,
  promise: `steering adds under 5% of a model step per token over plain sampling at a fixed T${why}`,
});

/** A controller's per-token band after its solved first positions. */
const steady = (mode: string, max: number, why = ""): Band => ({
  key: `controller.${mode}.steady`,
  max,
  promise: `and under ${Math.round(max * 100)}% per token after the solved positions${why}`,
});

export const BANDS: readonly Band[] = [
  loop("fixed", 1.5),
  loop("exact", 1.5),
  loop("schedule", 1.5),
  loop("proxy", 1.5),
  loop("mirostat", 1.5),
  loop("marginal", 2),
  { key: "controller.exact", max: 0.05, promise: "exact control costs under 5% of a model step over a 64-token request, its first ten positions' exact solves included" },
  steady("exact", 0.05),
  added("exact"),
  { key: "controller.schedule", max: 0.05, promise: "the prompt-aware schedule (ten positions solved per row, then scaling and feedback) costs under 5% of a model step over a 64-token request" },
  steady("schedule", 0.05),
  added("schedule"),
  { key: "controller.proxy", max: 0.08, promise: "proxy control costs under 8% of a model step over a 64-token request (the same ten solved positions as exact, then statistic + table + scaling)" },
  steady("proxy", 0.05),
  added("proxy"),
  { key: "controller.marginal", max: 0.2, promise: "marginal control at n = 4 costs under 20% of a model step over a 64-token request (ten batch solves, n·V exponentials a pass)" },
  steady("marginal", 0.1, " (B·V additions and V logs for the batch's marginal, four rows scaled): over the 5% the other modes hold"),
  added("marginal", " (the batch's marginal: B·V additions and V logs; the four rows' scaling is what fixed T pays too)"),
  ...SYNTHETIC_VOCABS.map((v) => ({ key: `statistic.${v}`, max: 1, promise: `V = ${v}: the proxy statistic costs less per element than exact entropy` })),
  { key: "probe.schedule", max: 1.25, promise: "probing the prompt (8 shadow rows over 10 positions) adds at most 25% to a 256-token n = 1 request" },
  { key: "transformers", min: 0.75, promise: "isentropic decodes at least 3/4 as fast as transformers.js generate() on the same model and runtime" },
  { key: "batch.4", min: 1, promise: "n = 4 rows decode at least the tokens/s of one row" },
  { key: "batch.8", min: 1.2, promise: "n = 8 rows decode at least 1.2x the tokens/s of one row" },
  { key: "batch.30", min: 1.3, promise: "n = 30 rows decode at least 1.3x the tokens/s of one row" },
  {
    key: "variant.web.1",
    min: 0.5,
    promise: "q8 keeps at least half of fp32's tokens/s for one row on the Worker's runtime (it is served for its memory: 33 MiB loaded instead of 68, half the cache)",
  },
  { key: "variant.web.8", min: 0.5, promise: "and for eight rows" },
  { key: "workerd.json", min: 0.2, promise: "the Worker in workerd (wasm, one thread) keeps at least 1/5 of the Node engine's tokens/s" },
  { key: "workerd.sse", min: 0.2, promise: "streamed, too" },
  { key: "workerd.wasm", min: 0.4, promise: "workerd keeps at least 40% of the same wasm runtime's tokens/s in Node" },
];

export interface Verdict {
  readonly band: Band;
  /** The measured median ratio; undefined when the measurement did not run. */
  readonly value?: number;
  readonly ok: boolean;
}

/** The band's range as text, e.g. "≤ 1.25", "≥ 0.5", "0.5 – 2". */
export function rangeOf(band: Band): string {
  if (band.min !== undefined && band.max !== undefined) return `${band.min} – ${band.max}`;
  if (band.max !== undefined) return `≤ ${band.max}`;
  if (band.min !== undefined) return `≥ ${band.min}`;
  return "any";
}

/** Judge each band against the measured ratios (by key); a band whose ratio is missing fails. */
export function checkBands(ratios: Readonly<Record<string, number>>, bands: readonly Band[] = BANDS): Verdict[] {
  return bands.map((band) => {
    const value = ratios[band.key];
    if (value === undefined || Number.isNaN(value)) return { band, ok: false };
    const ok = (band.min === undefined || value >= band.min) && (band.max === undefined || value <= band.max);
    return { band, value, ok };
  });
}

/** One line per failed band, naming the ratio, its value and its band. */
export function failuresOf(verdicts: readonly Verdict[]): string[] {
  return verdicts
    .filter((v) => !v.ok)
    .map((v) => (v.value === undefined ? `${v.band.key}: not measured (band ${rangeOf(v.band)})` : `${v.band.key} = ${v.value.toFixed(3)} is outside its band ${rangeOf(v.band)}: ${v.band.promise}`));
}
