/**
 * The arms `npm run eval` compares at each target, built by the same planControl() the API uses
 * from the schedules and the calibration on disk, so what is evaluated is what a request gets.
 */
import type { Catalog } from "../control/catalog.js";
import { DEFAULT_GAIN } from "../control/controller.js";
import { PROBE_ROWS } from "../control/prompt-probe.js";
import type { ScheduleFile } from "../control/schedule-schema.js";
import { type EntropyParams, planControl } from "../decode/plan.js";
import { createGroupedSampler } from "../fit/grouped.js";
import type { ProbedSampler } from "../fit/rollout.js";
import { createChain } from "../sampling/chain.js";

/** Rows every mode is measured over; marginal requests of n = 4 and 8 run as 32 rows and are measured over the first 30. */
export const ROWS = 30;
export const MARGINAL_ROWS = 32;
export const MARGINAL_N = [4, 8] as const;

/** The modes an eval can run, in the order the report lists them. */
export const EVAL_MODES = ["fixed", "schedule", "schedule_open", "proxy", "marginal", "exact", "mirostat"] as const;
export type EvalMode = (typeof EVAL_MODES)[number];

/** Whether a run limited to `modes` (all when empty or absent) runs `mode`. */
export const runsMode = (modes: readonly EvalMode[] | undefined, mode: string): boolean => !modes?.length || (modes as readonly string[]).includes(mode);

export interface ArmSpec {
  target: number;
  mode: string;
  label: string;
  setting: string;
  rows: number;
  /** A fresh sampler for one episode (controllers carry per-episode state), with its requests' probes. */
  make: () => ProbedSampler;
  note?: string;
}

/** Mean marginal entropy of Mirostat at one τ on the fitting prompts, nats. */
export interface TauPoint {
  tau: number;
  mean: number;
}

const round = (v: number, digits: number): number => Number(v.toFixed(digits));

/** The controller (and the samplers its mode adds) the API would run for these settings, for `rows` rows, and the probe it runs first. */
export function apiSampler(catalog: Catalog, vocabSize: number, params: EntropyParams, rows: number, temperature = 1): ProbedSampler & { notice?: string } {
  const p = planControl(params, { temperature, rows, vocabSize, catalog });
  const notice = p.mode !== p.requestedMode ? `ran ${p.mode}: ${p.notice?.reason}` : undefined;
  return { sampler: createChain([p.controller, ...p.samplers]), probes: p.probe ? [p.probe] : [], ...(notice ? { notice } : {}) };
}

/**
 * `rows` independent n = 1 requests of `params` as one batch: each row its own plan, with its own
 * controller (a proxy's fallback switches only its row) and its own probe.
 */
export function singleRowRequests(catalog: Catalog, vocabSize: number, params: EntropyParams, rows: number): ProbedSampler {
  const plans = Array.from({ length: rows }, () => apiSampler(catalog, vocabSize, params, 1));
  return { sampler: createGroupedSampler(rows, 1, (row) => plans[row]!.sampler), probes: plans.flatMap((p) => p.probes) };
}

/** τ whose grid mean matches the target (linear between grid points); clamped to the grid's ends, with a note saying why. */
export function matchTau(grid: readonly TauPoint[], target: number): { tau: number; note?: string } {
  for (let i = 0; i + 1 < grid.length; i++) {
    const [a, b] = [grid[i]!, grid[i + 1]!];
    if ((a.mean - target) * (b.mean - target) <= 0 && a.mean !== b.mean) return { tau: round(a.tau + ((target - a.mean) / (b.mean - a.mean)) * (b.tau - a.tau), 3) };
  }
  const closest = grid.reduce((x, y) => (Math.abs(y.mean - target) < Math.abs(x.mean - target) ? y : x));
  const why = target > closest.mean ? "Mirostat only truncates the T = 1 distribution, so its entropy cannot exceed the model's own" : "extend --mirostat-taus downwards";
  return { tau: closest.tau, note: `no τ on the grid reaches the target (grid means ${grid[0]!.mean}–${grid.at(-1)!.mean} nats; ${why}); ran τ = ${closest.tau}` };
}

/**
 * Fixed T matching `target` on average: the baseline temperature stored with the fitted schedule
 * at `target`, or between two fitted targets interpolated in log T, as the schedules themselves are.
 */
export function matchedTemperature(schedules: readonly ScheduleFile[], target: number): number {
  const fitted = schedules.filter((f) => f.baseline).sort((a, b) => a.target - b.target);
  const exact = fitted.find((f) => f.target === target);
  if (exact) return exact.baseline!.temperature;
  const above = fitted.findIndex((f) => f.target > target);
  if (above <= 0) throw new RangeError(`target ${target} is outside the fitted targets with a baseline (${fitted.map((f) => f.target).join(", ")})`);
  const [a, b] = [fitted[above - 1]!, fitted[above]!];
  const w = (target - a.target) / (b.target - a.target);
  return round(Math.exp((1 - w) * Math.log(a.baseline!.temperature) + w * Math.log(b.baseline!.temperature)), 4);
}

/** One arm per Mirostat τ of the grid, for matching τ to the targets. */
export function tauGridArms(catalog: Catalog, vocabSize: number, taus: readonly number[]): ArmSpec[] {
  return taus.map((tau) => ({ target: 0, mode: "mirostat", label: `τ ${tau}`, setting: "", rows: ROWS, make: () => apiSampler(catalog, vocabSize, { mode: "mirostat", tau }, ROWS) }));
}

export interface ArmContext {
  /** Needs a calibration (its statistic and gain are shown). */
  readonly catalog: Catalog;
  readonly vocabSize: number;
  /** The fitted schedule files, for each target's matched fixed temperature. */
  readonly schedules: readonly ScheduleFile[];
  /** Mirostat's τ grid, measured (empty when `modes` leaves Mirostat out). */
  readonly grid: readonly TauPoint[];
  /** The modes to build; every mode when absent or empty. */
  readonly modes?: readonly EvalMode[];
}

/** Mirostat v2 at the τ matched to the target (built only when wanted: an empty τ grid has no match). */
function mirostatArm(target: number, { tau, note }: { tau: number; note?: string }, c: ArmContext): ArmSpec {
  return {
    target,
    mode: "mirostat",
    label: `mirostat τ=${tau}`,
    setting: `τ ${tau} nats, η 0.1`,
    rows: ROWS,
    make: () => apiSampler(c.catalog, c.vocabSize, { mode: "mirostat", tau }, ROWS),
    ...(note ? { note } : {}),
  };
}

/** Every mode's arm at every target (or those in `c.modes`): fixed at the matched T, schedule, schedule_open, proxy, marginal n = 4 and 8, exact, Mirostat at the matched τ. */
export function buildArms(targets: readonly number[], c: ArmContext): ArmSpec[] {
  const wanted = (mode: string): boolean => runsMode(c.modes, mode);
  const calibration = c.catalog.calibration;
  if (!calibration) throw new RangeError("no proxy calibration to evaluate (run npm run fit)");
  const plan = (params: EntropyParams, rows: number, temperature = 1) => apiSampler(c.catalog, c.vocabSize, params, rows, temperature);
  const api =
    (params: EntropyParams, rows = ROWS, temperature = 1) =>
    () =>
      plan(params, rows, temperature);
  // 30 independent n = 1 requests: the per-row controllers never share state, and each request probes its prompt.
  const requests = (params: EntropyParams) => () => singleRowRequests(c.catalog, c.vocabSize, params, ROWS);
  return targets.flatMap((target): ArmSpec[] => {
    const T = matchedTemperature(c.schedules, target);
    const proxyNotice = plan({ mode: "proxy", target }, 1).notice;
    // Whether a request's plan probes the prompt here (the calibration fits the probe's gap).
    const probed = plan({ mode: "schedule", target }, 1).probes.length > 0 ? `, prompt probed on ${PROBE_ROWS} shadow rows` : "";
    return [
      { target, mode: "fixed", label: `fixed T=${T.toFixed(2)}`, setting: `T ${T.toFixed(3)}`, rows: ROWS, make: api({ mode: "fixed" }, ROWS, T) },
      { target, mode: "schedule", label: "schedule", setting: `fitted knots${probed}, first 10 positions solved, gain ${calibration.gain}`, rows: ROWS, make: requests({ mode: "schedule", target }) },
      { target, mode: "schedule_open", label: "schedule_open", setting: "fitted knots, open loop", rows: ROWS, make: api({ mode: "schedule_open", target }) },
      {
        target,
        mode: "proxy",
        label: "proxy",
        setting: `${calibration.statistic}${probed}, gain ${calibration.gain}`,
        rows: ROWS,
        make: requests({ mode: "proxy", target }),
        ...(proxyNotice ? { note: proxyNotice } : {}),
      },
      ...MARGINAL_N.map((n) => ({
        target,
        mode: "marginal",
        label: `marginal n=${n}`,
        setting: `${MARGINAL_ROWS / n} × n ${n}, gain ${DEFAULT_GAIN}${calibration.marginalGaps?.some((g) => g.rows === n) ? ", 30-row gap fitted, scaled by the batch's divergence" : ", own n-row marginal"}`,
        rows: MARGINAL_ROWS,
        make: () => ({ sampler: createGroupedSampler(MARGINAL_ROWS, n, () => plan({ mode: "marginal", target }, n).sampler), probes: [] }),
      })),
      { target, mode: "exact", label: "exact", setting: `rows at target − offset(t)${probed}, gain ${DEFAULT_GAIN}`, rows: ROWS, make: requests({ mode: "exact", target }) },
      ...(wanted("mirostat") ? [mirostatArm(target, matchTau(c.grid, target), c)] : []),
    ].filter((arm) => wanted(arm.mode));
  });
}
