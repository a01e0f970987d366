/**
 * What `npm run eval` records per episode and how one arm's episodes become its row of the
 * report (an ArmResult of eval-report.ts): entropy per window against the target, the noise
 * floor, conditional entropy, temperature, repetition and cross-sample similarity.
 */
import { bootstrapVariance } from "../fit/bootstrap.js";
import type { ArmResult } from "../fit/eval-report.js";
import { heldoutMetrics } from "../fit/heldout.js";
import { addToProfileInPlace, createProfile, type Profile, profileMean, WINDOWS, windowLabel, windowMean } from "../fit/metrics.js";
import { type PromptSpread, promptWindowBiases, spreadOverPrompts } from "../fit/per-prompt.js";
import { distinctN, repeatedNRate, selfBleu } from "../fit/text-metrics.js";
import { marginalEntropy, meanConditionalEntropy } from "../sampling/marginal.js";
import type { Step } from "../sampling/step.js";
import type { ArmSpec } from "./eval-arms.js";

/** What one episode recorded over the measured rows. */
export interface EpisodeRecord {
  marginal: Float64Array;
  conditional: Float64Array;
  temperature: Float64Array;
  /** Bootstrap variance of the marginal entropy where measured, NaN elsewhere. */
  variance: Float64Array;
  /** Generated ids per measured row. */
  ids: Int32Array[];
}

/** An empty record of `tokens` positions over `rows` measured rows. */
export function createRecord(tokens: number, rows: number): EpisodeRecord {
  return {
    marginal: new Float64Array(tokens),
    conditional: new Float64Array(tokens),
    temperature: new Float64Array(tokens),
    variance: new Float64Array(tokens).fill(Number.NaN),
    ids: Array.from({ length: rows }, () => new Int32Array(tokens)),
  };
}

/**
 * Observer filling `record` from each step over its first `rows` rows; `counts` are the
 * bootstrap's resampled row counts and `scratch` a row of V it may overwrite.
 */
export function recorder(record: EpisodeRecord, rows: number, counts: readonly Float64Array[], scratch: Float64Array): (step: Step) => void {
  const V = scratch.length;
  return (step) => {
    const t = step.position;
    const probs = step.probs.subarray(0, rows * V);
    record.marginal[t] = marginalEntropy(probs, rows, V, undefined, scratch);
    record.conditional[t] = meanConditionalEntropy(probs, rows, V);
    let sum = 0;
    for (let b = 0; b < rows; b++) {
      sum += step.temperature[b]!;
      record.ids[b]![t] = step.tokens[b]!;
    }
    record.temperature[t] = sum / rows;
    // Every early position, every 5th later: the floor is an average over positions.
    if (t < 50 || t % 5 === 0) record.variance[t] = bootstrapVariance(probs, rows, V, counts, scratch);
  };
}

const round = (v: number, digits = 4): number => Number(v.toFixed(digits));
const roundRecord = (r: Record<string, number>): Record<string, number> => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, round(v)]));

const roundSpread = (r: Record<string, PromptSpread>): Record<string, PromptSpread> =>
  Object.fromEntries(
    Object.entries(r).map(([k, v]) => [
      k,
      { prompts: v.prompts, median: round(v.median), worst: round(v.worst), ...(v.seedSd === undefined ? {} : { episodes: v.episodes, seedSd: round(v.seedSd) }) },
    ]),
  );

/**
 * One arm's result from its episodes (full-length ones are `tokens` long; episode i decoded
 * held-out prompt i mod `prompts`, as makePlan cycles them), and its mean marginal entropy and
 * temperature per position for the plots.
 */
export function summarizeArm(
  spec: ArmSpec,
  records: readonly EpisodeRecord[],
  micros: number,
  tokens: number,
  prompts = records.length,
): { result: ArmResult; marginal: Float64Array; temperature: Float64Array } {
  const perWindow = (f: (from: number, to: number) => number): Record<string, number> =>
    Object.fromEntries(WINDOWS.filter((w) => w[0] < tokens).map((w) => [windowLabel(w), f(w[0], Math.min(w[1], tokens))]));
  const profileOf = (of: (r: EpisodeRecord) => ArrayLike<number>): Profile => {
    const p = createProfile(tokens);
    for (const r of records) addToProfileInPlace(p, of(r));
    return p;
  };
  const m = heldoutMetrics(
    records.map((r) => ({ marginal: r.marginal, bootstrapVariance: r.variance })),
    spec.target,
    tokens,
  );
  const conditional = profileOf((r) => r.conditional);
  const temperature = profileOf((r) => r.temperature);
  const long = records.filter((r) => r.marginal.length === tokens);
  const rowsOfLong = long.flatMap((r) => r.ids);
  const result: ArmResult = {
    mode: spec.mode,
    label: spec.label,
    setting: spec.setting,
    rows: spec.rows,
    rmse0To300: round(m.rmse0To300),
    rmse0To1000: round(m.rmse0To1000),
    noiseFloor0To300: round(m.noiseFloor0To300),
    noiseFloor0To1000: round(m.noiseFloor0To1000),
    windowBias: roundRecord(m.windowBias),
    windowSe: roundRecord(m.windowStandardError),
    conditional: roundRecord(perWindow((a, b) => windowMean(conditional, a, b))),
    temperature: roundRecord(perWindow((a, b) => windowMean(temperature, a, b))),
    distinct2: roundRecord(perWindow((a, b) => distinctN(rowsOfLong, 2, a, b))),
    distinct3: roundRecord(perWindow((a, b) => distinctN(rowsOfLong, 3, a, b))),
    repeated4: roundRecord(perWindow((a, b) => repeatedNRate(rowsOfLong, 4, a, b))),
    selfBleu: round(long.reduce((s, r) => s + selfBleu(r.ids), 0) / long.length),
    controllerMicros: round(micros, 2),
    ...(spec.note ? { note: spec.note } : {}),
    perPrompt: roundSpread(
      spreadOverPrompts(
        records.map((r) => promptWindowBiases(r.marginal, spec.target)),
        (i) => i % prompts,
      ),
    ),
    episodes: records.map((r) => roundRecord(promptWindowBiases(r.marginal, spec.target))),
  };
  return { result, marginal: m.mean, temperature: profileMean(temperature) };
}

/** Each target's arm results, in the order of `targets` and of the arms. */
export function resultsByTarget(targets: readonly number[], arms: readonly { spec: ArmSpec; result: ArmResult }[]): { target: number; arms: ArmResult[] }[] {
  return targets.map((target) => ({ target, arms: arms.filter((a) => a.spec.target === target).map((a) => a.result) }));
}
