/**
 * Plant — a seeded synthetic "model" for controller tests, and a loop that drives a controller
 * against it through the decode kernel's token sampler (apply the chain, draw, accept), so the
 * controllers are tested in the order the API runs them.
 *
 * Row b's logits at step t are s(t) · g, with g fresh standard Gaussians per row and step. As
 * s(t) grows the distribution at fixed T sharpens, so a fixed temperature lets entropy collapse;
 * a controller must raise T in step with s(t) to hold its target.
 */
import { createTokenSampler } from "../src/decode/kernel.js";
import { createChain } from "../src/sampling/chain.js";
import { marginalEntropy } from "../src/sampling/marginal.js";
import { createRng, type Rng } from "../src/sampling/rng.js";
import type { Sampler } from "../src/sampling/sampler.js";
import type { Step } from "../src/sampling/step.js";

/** Fills `out` with standard normal draws (Box–Muller). */
export function fillGaussian(rng: Rng, out: Float32Array): Float32Array {
  for (let i = 0; i < out.length; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - rng.next()));
    const a = 2 * Math.PI * rng.next();
    out[i] = r * Math.cos(a);
    if (i + 1 < out.length) out[i + 1] = r * Math.sin(a);
  }
  return out;
}

/** Logit scale ramping linearly from 1 at t = 0 to 3 at t = 200, then held. */
export const ramp = (t: number): number => 1 + 2 * Math.min(1, t / 200);

export interface Trace {
  /** Exact entropy of each row's sampled distribution, per step [steps][rows], nats. */
  entropy: number[][];
  /** Marginal entropy over the rows, per step, nats. */
  marginal: number[];
  /** Temperature of each row, per step. */
  temperature: number[][];
  /** Controller estimate of each row, per step. */
  estimate: number[][];
  /** −logprob of each row's drawn token, per step, nats. */
  surprise: number[][];
}

export interface PlantOptions {
  rows: number;
  vocab: number;
  steps: number;
  seed: number;
  scale?: (t: number) => number;
  /** Samplers placed between the controller and the draw. */
  filters?: Sampler[];
  /** Called after each accept, e.g. to read controller fields. */
  observe?: (step: Step) => void;
  /** Position of the first step (default 0, the first token after the prompt). */
  firstPosition?: number;
}

/** Runs `controller` against the plant and records what every step measured. */
export function drive(controller: Sampler, options: PlantOptions): Trace {
  const { rows, vocab, steps, seed, scale = ramp, filters = [], observe, firstPosition = 0 } = options;
  const logitRng = createRng(seed);
  const sampler = createTokenSampler(rows, vocab, createChain([controller, ...filters]), createRng(seed + 1));
  const trace: Trace = { entropy: [], marginal: [], temperature: [], estimate: [], surprise: [] };
  for (let t = 0; t < steps; t++) {
    const logits = fillGaussian(logitRng, new Float32Array(rows * vocab));
    const s = scale(t);
    for (let i = 0; i < logits.length; i++) logits[i] = logits[i]! * s;
    const step = sampler.next(logits, firstPosition + t);
    observe?.(step);
    trace.entropy.push([...step.entropy]);
    trace.marginal.push(marginalEntropy(step.probs, rows, vocab));
    trace.temperature.push([...step.temperature]);
    trace.estimate.push([...step.estimate]);
    trace.surprise.push([...step.logprobs].map((l) => -l));
  }
  return trace;
}

/** Mean of the values of `series` at steps [from, to), flattened over rows. */
export function meanOver(series: number[][] | number[], from: number, to = series.length): number {
  const values = series.slice(from, to).flat();
  return values.reduce((a, b) => a + b, 0) / values.length;
}
