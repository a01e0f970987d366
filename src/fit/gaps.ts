/**
 * Gaps — what the controllers that cannot see 30 continuations must add to what they measure:
 * the 30-row marginal minus the mean conditional entropy (the proxy's and the prompt-aware
 * schedule's per-row offset) and minus the k-row marginal (the `marginal` mode's offset for a
 * request of n = k), per position, fitted per target.
 *
 * Both come from the same 30-row rollouts at each fitted target: every step's `probs` give the
 * 30-row marginal, each row's entropy, and, split into consecutive groups of k rows, what a
 * request of n = k would have measured (groupMarginalEntropy). Measured under the fitted
 * schedule for the target, which holds the 30-row marginal at the target on average.
 */
import type { TargetTable } from "../control/target-table.js";
import { groupMarginalEntropy, marginalEntropy, meanConditionalEntropy } from "../sampling/marginal.js";
import type { Sampler } from "../sampling/sampler.js";
import type { Step } from "../sampling/step.js";
import { addToProfileInPlace, createProfile, type Profile, profileMean } from "./metrics.js";
import { smoothInPosition } from "./smooth.js";

/** Request sizes n the marginal mode can run at (MAX_N = 8) that get a gap table. */
export const GAP_ROWS = [2, 3, 4, 5, 6, 7, 8] as const;

/**
 * Knot positions every gap table shares: dense where the rows diverge from the prompt, sparse on
 * the plateau. The gap is exactly 0 at t = 0 (every row shares the prompt).
 */
export const GAP_POSITIONS = [0, 1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1000] as const;

/** Per-position sums over the episodes of one target. */
export interface GapProfiles {
  /** 30-row marginal − mean conditional entropy. */
  readonly conditional: Profile;
  /** 30-row marginal − mean k-row group marginal, for each k of GAP_ROWS. */
  readonly groups: ReadonlyMap<number, Profile>;
}

export function createGapProfiles(tokens: number, ks: readonly number[] = GAP_ROWS): GapProfiles {
  return { conditional: createProfile(tokens), groups: new Map(ks.map((k) => [k, createProfile(tokens)])) };
}

/**
 * An observer for one episode's steps (rollout's `observe`) and the call that adds the episode
 * to `profiles` once it has ended.
 */
export function observeGaps(profiles: GapProfiles, tokens: number): { observe(step: Step): void; commit(): void } {
  const conditional = new Float64Array(tokens);
  const groups = new Map([...profiles.groups.keys()].map((k) => [k, new Float64Array(tokens)]));
  let reached = 0;
  return {
    observe(step) {
      const { probs, rows, vocab, position } = step;
      const marginal = marginalEntropy(probs, rows, vocab);
      conditional[position] = marginal - meanConditionalEntropy(probs, rows, vocab);
      for (const [k, values] of groups) values[position] = marginal - groupMarginalEntropy(probs, rows, vocab, k);
      reached = position + 1;
    },
    commit() {
      addToProfileInPlace(profiles.conditional, conditional.subarray(0, reached));
      for (const [k, values] of groups) addToProfileInPlace(profiles.groups.get(k)!, values.subarray(0, reached));
    },
  };
}

/**
 * One table over targets from each target's profile: the per-position mean, smoothed in
 * position (narrow at the start, where the gap jumps from 0 within a few tokens), read at
 * GAP_POSITIONS within the measured length and held beyond it.
 */
export function fitGapTable(targets: readonly number[], profiles: readonly Profile[]): TargetTable {
  if (targets.length !== profiles.length) throw new RangeError(`expected one profile per target (${targets.length}), got ${profiles.length}`);
  const order = targets.map((_, i) => i).sort((a, b) => targets[a]! - targets[b]!);
  const values = order.map((i) => {
    const profile = profiles[i]!;
    const smooth = smoothInPosition(
      profileMean(profile).map((v) => (Number.isFinite(v) ? v : 0)),
      profile.count,
      { scale: 1, bandwidth: 0.1 },
    );
    const last = smooth.length - 1;
    return GAP_POSITIONS.map((t) => round(smooth[Math.min(t, last)]!));
  });
  return { targets: order.map((i) => targets[i]!), positions: [...GAP_POSITIONS], values };
}

/** 4 decimals: far below the noise of a gap measured over tens of episodes. */
function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

/** The episodes of one measurement: prompt, seed and length (as the fit runner takes them). */
export interface GapEpisode {
  readonly promptIds: readonly number[];
  readonly seed: number;
  readonly tokens: number;
}

/** Runs episodes with a sampler and an observer per episode (the fit runner's `run`). */
export type RunEpisodes = (episodes: readonly GapEpisode[], sampler: (i: number) => Sampler, observe: (i: number) => (step: Step) => void) => Promise<unknown>;

export interface MeasuredGaps {
  /** 30-row marginal − mean conditional entropy: the per-row controllers' offset. */
  readonly offsets: TargetTable;
  /** 30-row − k-row marginal, for each k of GAP_ROWS: the marginal mode's offset at n = k. */
  readonly marginal: readonly { readonly rows: number; readonly table: TargetTable }[];
}

/**
 * Measure both gaps at every target: `episodes` run once per target under `policyFor(target)`
 * (the fitted schedule), on `rows` rows (30 in the fitter; k-row gaps for every k of GAP_ROWS below it).
 */
export async function measureGaps(run: RunEpisodes, episodes: readonly GapEpisode[], targets: readonly number[], policyFor: (target: number) => Sampler, rows: number): Promise<MeasuredGaps> {
  const tokens = Math.max(...episodes.map((e) => e.tokens));
  // A k-row gap needs fewer than the rows measured (at k = rows it is 0 by definition).
  const ks = GAP_ROWS.filter((k) => k < rows);
  const profiles: GapProfiles[] = [];
  for (const target of targets) {
    const p = createGapProfiles(tokens, ks);
    const observers = episodes.map(() => observeGaps(p, tokens));
    await run(
      episodes,
      () => policyFor(target),
      (i) => observers[i]!.observe,
    );
    for (const o of observers) o.commit();
    profiles.push(p);
  }
  return {
    offsets: fitGapTable(
      targets,
      profiles.map((p) => p.conditional),
    ),
    marginal: ks.map((k) => ({
      rows: k,
      table: fitGapTable(
        targets,
        profiles.map((p) => p.groups.get(k)!),
      ),
    })),
  };
}
