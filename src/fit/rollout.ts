/**
 * Rollout — B continuations of one prompt decoded together for N tokens, measuring the marginal
 * entropy H(p̄_t) and the mean conditional entropy at every position: the plant the fitters drive.
 *
 * It drives the decode kernel (decode/kernel.ts), the loop the API runs: each step applies the
 * given sampler (a schedule, a fixed T, or the policy planControl builds) and the seeded draw.
 * Rows do not stop at end-of-text: the model was trained on documents separated by it, so a row
 * that emits it starts a new passage, and every position keeps all B rows in its marginal.
 * The same prompt and seed replay the same uniforms, so two schedules compared on one seed see
 * common random numbers (inverse-CDF draws move only where the distributions differ).
 */
import type { PromptProbe } from "../control/prompt-probe.js";
import { decodeSteps } from "../decode/kernel.js";
import type { CausalLM } from "../model/causal-lm.js";
import { marginalEntropy, meanConditionalEntropy } from "../sampling/marginal.js";
import { createRng } from "../sampling/rng.js";
import type { Sampler } from "../sampling/sampler.js";
import type { Step } from "../sampling/step.js";

export interface RolloutOptions {
  readonly promptIds: readonly number[];
  /** B: continuations decoded together. */
  readonly rows: number;
  /** N: tokens generated per row. */
  readonly tokens: number;
  /** Sets each row's temperature and scores; placed before the draw. */
  readonly sampler: Sampler;
  /** Seed of the draw's uniforms. */
  readonly seed: number;
  /** Shadow decodes run first, as the plans of the requests simulated want them (kernel.ts). */
  readonly probes?: readonly PromptProbe[];
  /** Called after every step's draw and accept, e.g. to collect calibration samples. */
  readonly observe?: (step: Step) => void;
  /** Called after every step with the number of positions done. */
  readonly progress?: (done: number) => void;
}

/** A sampler with the probes the requests it simulates run first (their plans' `probe`s). */
export interface ProbedSampler {
  readonly sampler: Sampler;
  readonly probes: readonly PromptProbe[];
}

export interface RolloutTrace {
  /** H(p̄_t) over the B rows at each position t, nats [N]. */
  readonly marginal: Float64Array;
  /** Mean over rows of each row's exact entropy at t, nats [N]. */
  readonly conditional: Float64Array;
  /** Mean applied temperature at t [N]. */
  readonly temperature: Float64Array;
}

/** Decode `tokens` positions of `rows` rows and return what each position measured. */
export async function rollout(lm: CausalLM, options: RolloutOptions): Promise<RolloutTrace> {
  const { rows, tokens } = options;
  const V = lm.spec.vocabSize;
  const trace: RolloutTrace = {
    marginal: new Float64Array(tokens),
    conditional: new Float64Array(tokens),
    temperature: new Float64Array(tokens),
  };
  const sums = new Float64Array(V);
  const probes = options.probes?.length ? { probes: options.probes } : {};
  const steps = decodeSteps(lm, { promptIds: options.promptIds, rows, maxTokens: tokens, policy: options.sampler, rng: createRng(options.seed), ...probes });
  for await (const step of steps) {
    const t = step.position;
    trace.marginal[t] = marginalEntropy(step.probs, rows, V, undefined, sums);
    trace.conditional[t] = meanConditionalEntropy(step.probs, rows, V);
    let sum = 0;
    for (let b = 0; b < rows; b++) sum += step.temperature[b]!;
    trace.temperature[t] = sum / rows;
    options.observe?.(step);
    options.progress?.(t + 1);
    if (t % COLLECT_EVERY === COLLECT_EVERY - 1) collectGarbage?.({ type: "minor" });
  }
  return trace;
}

/**
 * A young-generation collection every few steps, where the process exposes one (the CLI runs with
 * --expose-gc, see cli/malloc-env.ts). Each step leaves the previous step's cache behind in
 * ArrayBuffers (up to ~245 MB at B = 30 and 1000 positions) that V8 frees only when it collects,
 * and it collects by the JS heap, which a rollout barely touches: an eval of 10 × 1000-token
 * episodes on two sessions grew by ~110 MB/s to 22 GiB and was killed. Collecting every 8 steps
 * (a scavenge of a nearly empty young generation) holds the same run at 2.7 GiB, at three times
 * the speed it had fallen to.
 */
const COLLECT_EVERY = 8;
const collectGarbage = (globalThis as { gc?: (options: { type: "minor" }) => void }).gc;
