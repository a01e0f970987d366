/**
 * A synthetic marginal-entropy plant with a known optimal schedule, for the fitting tests.
 *
 * H(t) = a(t) + g · log T(t) + c · m(t) + σ(t) · ε(seed, t), where a(t) rises from 1.5 to 3
 * nats (rows diverging from the shared prompt), m(t) is an exponential average of log T over
 * earlier positions (earlier temperatures spread the rows and raise later marginal entropy), and
 * ε is Gaussian noise fixed by the seed (common random numbers), growing with t. The optimum for
 * target H* solves H = H* forward in t.
 */
import { createProfile, type Profile } from "../src/fit/metrics.js";
import { createRng } from "../src/sampling/rng.js";
import { fillGaussian } from "./plant.js";

export const GAIN = 2;
const COUPLING = 0.5;
const MEMORY = 1 / 20;
const drift = (t: number): number => 1.5 + 1.5 * (1 - Math.exp(-t / 30));
const noiseSd = (t: number): number => 0.05 + 0.1 * Math.min(1, t / 300);

/** Marginal entropy per position under `temperatures`, noise drawn from `seed`. */
export function plantProfile(temperatures: ArrayLike<number>, seed: number, noise = true): Profile {
  const n = temperatures.length;
  const eps = fillGaussian(createRng(seed), new Float32Array(n));
  const profile = createProfile(n);
  let m = 0;
  for (let t = 0; t < n; t++) {
    const logT = Math.log(temperatures[t]!);
    profile.sum[t] = drift(t) + GAIN * logT + COUPLING * m + (noise ? noiseSd(t) * eps[t]! : 0);
    profile.count[t] = 1;
    m += MEMORY * (logT - m);
  }
  return profile;
}

/** The schedule that holds the noiseless plant exactly at `target`. */
export function optimalSchedule(target: number, n: number): Float64Array {
  const out = new Float64Array(n);
  let m = 0;
  for (let t = 0; t < n; t++) {
    const logT = (target - drift(t) - COUPLING * m) / GAIN;
    out[t] = Math.exp(logT);
    m += MEMORY * (logT - m);
  }
  return out;
}

/** RMS of log(a/b) over positions [from, to). */
export function rmsLogRatio(a: ArrayLike<number>, b: ArrayLike<number>, from = 0, to = a.length): number {
  let s = 0;
  for (let t = from; t < to; t++) s += Math.log(a[t]! / b[t]!) ** 2;
  return Math.sqrt(s / (to - from));
}
