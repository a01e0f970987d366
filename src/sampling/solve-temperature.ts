/**
 * Solve temperature — the T at which softmax(z / T) has a given entropy, for one row's logits.
 *
 * Entropy rises monotonically with T (from the entropy of the argmax set at T → 0 to ln V at
 * T → ∞) and smoothly in u = log T, with slope dH/du = Var_p(z / T) (the variance of the scaled
 * logits under the distribution itself), which the same pass over the logits yields. So the
 * solve is Newton's method on u, kept inside a bracket that every evaluation narrows and falling
 * back to bisection whenever a Newton step would leave it: a handful of passes where bisection
 * alone took 40. At the first generated position every row of a request conditions on the same
 * prompt, so the marginal entropy over any number of continuations equals this one row's
 * entropy: solving it there holds the target exactly for the caller's own prompt. Costs V
 * exponentials per pass; it runs once per row of a request, not per token.
 */

/** Most passes; bisection alone would be within 2^-60 of the range by then. */
const MAX_PASSES = 60;
/**
 * Once an evaluation misses by less than this (nats), take the Newton step from it and stop without
 * evaluating again: Newton's error is second order, so that step lands within ~miss² (about 1e-5
 * nats here, where a window of 30 rows resolves 0.05), and the pass that would confirm it is saved.
 */
const FINAL_STEP_WITHIN = 1e-2;

/** Entropy of softmax(z / T), nats, and its slope dH/d(log T) = Var_p(z / T), in one pass after the max. */
export function entropyAndSlope(z: Float32Array, temperature: number, zMax: number = maxLogit(z)): { entropy: number; slope: number } {
  const inv = 1 / temperature;
  // max(z / T) is max(z) / T for any T > 0 (rounding is monotonic), so a solve finds it once, not per pass
  const max = zMax * inv;
  let sum = 0;
  let first = 0;
  let second = 0;
  for (let i = 0; i < z.length; i++) {
    if (z[i] === -Infinity) continue;
    const d = z[i]! * inv - max;
    const w = Math.exp(d);
    sum += w;
    first += w * d;
    second += w * d * d;
  }
  const mean = first / sum;
  return { entropy: Math.log(sum) - mean, slope: Math.max(0, second / sum - mean * mean) };
}

/** The largest logit, −Infinity when every one is filtered out. */
export function maxLogit(z: Float32Array): number {
  let max = -Infinity;
  for (let i = 0; i < z.length; i++) if (z[i]! > max) max = z[i]!;
  return max;
}

/**
 * The temperature in [tMin, tMax] at which the entropy of softmax(z / T) is `target` nats.
 * Returns tMin (tMax) when the target lies below (above) what the range can reach.
 */
export function temperatureForEntropy(z: Float32Array, target: number, tMin: number, tMax: number, start?: number): number {
  return solveTemperature(z, target, tMin, tMax, start).temperature;
}

/**
 * temperatureForEntropy, with the passes over the logits it took (each V exponentials). `start`
 * is where Newton begins (the last position's answer, when solving token after token); T = 1 or
 * the bracket's middle without it.
 */
export function solveTemperature(z: Float32Array, target: number, tMin: number, tMax: number, start?: number): { temperature: number; passes: number } {
  const zMax = maxLogit(z);
  return newtonOnLogT((temperature) => entropyAndSlope(z, temperature, zMax), target, tMin, tMax, start);
}

/**
 * The T in [tMin, tMax] at which `at(T).entropy` is `target`, for any entropy that rises with T
 * and reports its slope in log T (one row's here, a batch's marginal in
 * solve-marginal-temperature.ts): Newton on u = log T from `start`, inside a bracket every
 * evaluation narrows, bisecting when a step would leave it. The bracket's ends are evaluated only
 * when a step points past them (a warm start near the answer never pays for them: they were 2 of
 * ~5 passes). Returns the clamp whose end the target lies beyond, and the evaluations it took.
 */
export function newtonOnLogT(at: (temperature: number) => { entropy: number; slope: number }, target: number, tMin: number, tMax: number, start?: number): { temperature: number; passes: number } {
  const uMin = Math.log(tMin);
  const uMax = Math.log(tMax);
  let lo = uMin;
  let hi = uMax;
  // The caller's start (the last position's T); else T = 1 (u = 0), where most solves land near, or the bracket's middle.
  let u = start !== undefined && start > tMin && start < tMax ? Math.log(start) : lo < 0 && hi > 0 ? 0 : 0.5 * (lo + hi);
  let passes = 0;
  for (let k = 0; k < MAX_PASSES && hi - lo > 1e-12; k++) {
    const { entropy, slope } = at(Math.exp(u));
    passes++;
    const miss = entropy - target;
    if (miss === 0) break;
    // At an end of the range with the target still beyond it: the clamp is the answer.
    if (miss < 0 && u >= uMax) return { temperature: tMax, passes };
    if (miss > 0 && u <= uMin) return { temperature: tMin, passes };
    if (miss < 0) lo = u;
    else hi = u;
    const newton = slope > 0 ? u - miss / slope : miss < 0 ? Infinity : -Infinity;
    if (newton > lo && newton < hi && Math.abs(miss) < FINAL_STEP_WITHIN) return { temperature: Math.exp(newton), passes };
    if (newton > lo && newton < hi) u = newton;
    // A step past an end not yet evaluated goes to that end: it either brackets the target or is the clamp.
    else if (newton >= hi && hi === uMax) u = uMax;
    else if (newton <= lo && lo === uMin) u = uMin;
    else u = 0.5 * (lo + hi);
  }
  return { temperature: Math.exp(u), passes };
}
