/**
 * Solve temperature — the T at which softmax(z / T) has a given entropy, for one row's logits.
 *
 * Entropy rises monotonically with T (from the entropy of the argmax set at T → 0 to ln V at
 * T → ∞) and smoothly in u = log T, with slope dH/du = Var_p(z / T) (the variance of the scaled
 * logits under the distribution itself), which the same pass over the logits yields. So the
 * solve is Newton's method on u (Halley's, with the curvature the same pass gives, on a
 * stretched entropy: stepInLogT), kept inside a bracket that every evaluation narrows and falling
 * back to bisection whenever a step would leave it: two or three passes where bisection alone
 * took 40. At the first generated position every row of a request conditions on the same
 * prompt, so the marginal entropy over any number of continuations equals this one row's
 * entropy: solving it there holds the target exactly for the caller's own prompt. Costs V
 * exponentials per pass; it runs once per row of a request, not per token.
 */

/** Most passes; bisection alone would be within 2^-60 of the range by then. */
const MAX_PASSES = 60;
/**
 * Once an evaluation misses by less than this (nats), take the step from it and stop without
 * evaluating again, and save the pass that would confirm it. Newton's error is second order, so
 * its step lands within ~miss² (about 1e-5 nats from 1e-2); Halley's is third order, so it may
 * stop three times as far (measured: at most 2e-5 nats on the default model's first ten
 * positions). A window of 30 rows resolves 0.05.
 */
const FINAL_STEP_WITHIN = { newton: 1e-2, halley: 3e-2 } as const;

/**
 * Entropy of softmax(z / T), nats, its slope dH/du = Var_p(y) and its curvature
 * d²H/du² = −κ₃(y) − 2 Var_p(y) (y = z / T, u = log T, κ₃ the third central moment; from
 * dp_i/du = −p_i (y_i − E y) and dy/du = −y), all in one pass after the max.
 */
export function entropyAndSlope(z: Float32Array, temperature: number, zMax: number = maxLogit(z)): Required<EntropyAt> {
  const inv = 1 / temperature;
  // max(z / T) is max(z) / T for any T > 0 (rounding is monotonic), so a solve finds it once, not per pass
  const max = zMax * inv;
  let sum = 0;
  let first = 0;
  let second = 0;
  let third = 0;
  let finite = 0;
  for (let i = 0; i < z.length; i++) {
    if (z[i] === -Infinity) continue;
    finite++;
    const d = z[i]! * inv - max;
    const w = Math.exp(d);
    const wd = w * d;
    sum += w;
    first += wd;
    second += wd * d;
    third += wd * d * d;
  }
  const mean = first / sum;
  const m2 = second / sum;
  const variance = Math.max(0, m2 - mean * mean);
  const skew = third / sum - 3 * mean * m2 + 2 * mean * mean * mean;
  return { entropy: Math.log(sum) - mean, slope: variance, curvature: -skew - 2 * variance, ceiling: Math.log(finite) };
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
export function temperatureForEntropy(z: Float32Array, target: number, tMin: number, tMax: number, start?: number, within?: number): number {
  return solveTemperature(z, target, tMin, tMax, start, within).temperature;
}

/**
 * temperatureForEntropy, with the passes over the logits it took (each V exponentials). `start`
 * is where Newton begins (the last position's answer, when solving token after token); T = 1 or
 * the bracket's middle without it. `within`: the miss (nats) below which the last step is taken
 * unevaluated (default FINAL_STEP_WITHIN; a looser one trades precision for passes).
 */
export function solveTemperature(z: Float32Array, target: number, tMin: number, tMax: number, start?: number, within?: number): { temperature: number; passes: number } {
  const zMax = maxLogit(z);
  return newtonOnLogT((temperature) => entropyAndSlope(z, temperature, zMax), target, tMin, tMax, start, within);
}

/** What one pass of a solve measures at a temperature: the entropy, dH/d(log T) and, where known, d²H/d(log T)². */
export interface EntropyAt {
  entropy: number;
  slope: number;
  curvature?: number;
  /** The entropy's limit as T → ∞ (ln of the tokens it can reach), where known. */
  ceiling?: number;
}

/**
 * The step in u = log T towards `target` from one pass: Halley's on g = φ(H) − φ(target) with
 * φ(H) = log(H / (C − H)), C the ceiling. H(u) is a sigmoid in u, flat at both ends (a peaked
 * row at low T, a near-uniform one at high T), where Newton on H itself overshoots by several
 * factors of e; φ stretches both ends, so the steps stay in scale. Measured on the default model's
 * first ten positions (600 rows × 10 positions, warm starts, target 3.5): 3.53 passes per solve
 * with Newton on H, 2.72 with Halley on H, 2.42 with Halley on φ (worst error 2e-5 nats). Newton
 * on φ without a curvature; on H without a ceiling or with a target at an end.
 */
export function stepInLogT({ entropy, slope, curvature, ceiling }: EntropyAt, target: number): number {
  const miss = entropy - target;
  if (!(slope > 0)) return miss < 0 ? Infinity : -Infinity;
  if (ceiling === undefined || !(target > 0 && target < ceiling)) return -miss / slope / halleyFactor(miss, slope, curvature);
  const h = Math.min(Math.max(entropy, 1e-12), ceiling - 1e-12);
  const g = Math.log(h / (ceiling - h)) - Math.log(target / (ceiling - target));
  const d1 = 1 / h + 1 / (ceiling - h);
  const d2 = 1 / ((ceiling - h) * (ceiling - h)) - 1 / (h * h);
  const g1 = d1 * slope;
  return -g / g1 / halleyFactor(g, g1, curvature === undefined ? undefined : d2 * slope * slope + d1 * curvature);
}

/**
 * Halley's correction to a Newton step (Δu = −miss / slope / factor): with the curvature the
 * step follows the tangent parabola, so its error is third order instead of second, and a warm
 * solve lands in one step fewer. 1 (plain Newton) without a curvature, or where the correction
 * would more than double or reverse the step (far from the root, where Newton's bracket guards).
 */
export function halleyFactor(miss: number, slope: number, curvature: number | undefined): number {
  if (curvature === undefined) return 1;
  const factor = 1 - (miss * curvature) / (2 * slope * slope);
  return factor >= 0.5 && factor <= 2 ? factor : 1;
}

/**
 * The T in [tMin, tMax] at which `at(T).entropy` is `target`, for any entropy that rises with T
 * and reports its slope in log T (one row's here, a batch's marginal in
 * solve-marginal-temperature.ts): Newton on u = log T from `start`, inside a bracket every
 * evaluation narrows, bisecting when a step would leave it. The bracket's ends are evaluated only
 * when a step points past them (a warm start near the answer never pays for them: they were 2 of
 * ~5 passes). Returns the clamp whose end the target lies beyond, and the evaluations it took.
 */
export function newtonOnLogT(at: (temperature: number) => EntropyAt, target: number, tMin: number, tMax: number, start?: number, within?: number): { temperature: number; passes: number } {
  const uMin = Math.log(tMin);
  const uMax = Math.log(tMax);
  let lo = uMin;
  let hi = uMax;
  // The caller's start (the last position's T); else T = 1 (u = 0), where most solves land near, or the bracket's middle.
  let u = start !== undefined && start > tMin && start < tMax ? Math.log(start) : lo < 0 && hi > 0 ? 0 : 0.5 * (lo + hi);
  let passes = 0;
  for (let k = 0; k < MAX_PASSES && hi - lo > 1e-12; k++) {
    const measured = at(Math.exp(u));
    passes++;
    const miss = measured.entropy - target;
    if (miss === 0) break;
    // At an end of the range with the target still beyond it: the clamp is the answer.
    if (miss < 0 && u >= uMax) return { temperature: tMax, passes };
    if (miss > 0 && u <= uMin) return { temperature: tMin, passes };
    if (miss < 0) lo = u;
    else hi = u;
    const newton = u + stepInLogT(measured, target);
    if (newton > lo && newton < hi && Math.abs(miss) < (within ?? FINAL_STEP_WITHIN[measured.curvature === undefined ? "newton" : "halley"])) return { temperature: Math.exp(newton), passes };
    if (newton > lo && newton < hi) u = newton;
    // A step past an end not yet evaluated goes to that end: it either brackets the target or is the clamp.
    else if (newton >= hi && hi === uMax) u = uMax;
    else if (newton <= lo && lo === uMin) u = uMin;
    else u = 0.5 * (lo + hi);
  }
  return { temperature: Math.exp(u), passes };
}
