/**
 * Rollout — B continuations of one prompt decoded together for N tokens, measuring the marginal
 * entropy H(p̄_t) and the mean conditional entropy at every position: the plant the fitters drive.
 *
 * The prompt is prefilled once and its cache tiled to B rows (see causal-lm.ts); each step runs
 * the given sampler (a schedule, a fixed T, or a closed-loop controller) and the seeded draw.
 * Rows do not stop at end-of-text: the model was trained on documents separated by it, so a row
 * that emits it starts a new passage, and every position keeps all B rows in its marginal.
 * The same prompt and seed replay the same uniforms, so two schedules compared on one seed see
 * common random numbers (inverse-CDF draws move only where the distributions differ).
 */
import type { CausalLM } from "../model/causal-lm.js";
import { createChain } from "../sampling/chain.js";
import { createDraw } from "../sampling/draw.js";
import { marginalEntropy, meanConditionalEntropy } from "../sampling/marginal.js";
import { createRng } from "../sampling/rng.js";
import type { Sampler } from "../sampling/sampler.js";
import { createStep, type Step } from "../sampling/step.js";

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
  /** Called after every step's draw and accept, e.g. to collect calibration samples. */
  readonly observe?: (step: Step) => void;
  /** Called after every step with the number of positions done. */
  readonly progress?: (done: number) => void;
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
  const chain = createChain([options.sampler, createDraw(createRng(options.seed))]);
  const trace: RolloutTrace = {
    marginal: new Float64Array(tokens),
    conditional: new Float64Array(tokens),
    temperature: new Float64Array(tokens),
  };
  let { logits, cache } = await lm.prefill(options.promptIds, rows);
  for (let t = 0; t < tokens; t++) {
    const step = createStep(logits, rows, V, t);
    chain.apply(step);
    chain.accept?.(step.tokens, step);
    trace.marginal[t] = marginalEntropy(step.probs, rows, V);
    trace.conditional[t] = meanConditionalEntropy(step.probs, rows, V);
    let sum = 0;
    for (let b = 0; b < rows; b++) sum += step.temperature[b]!;
    trace.temperature[t] = sum / rows;
    options.observe?.(step);
    options.progress?.(t + 1);
    if (t + 1 < tokens) ({ logits, cache } = await lm.step(step.tokens, cache));
  }
  return trace;
}
