/**
 * Solve temperature — the T at which softmax(z / T) has a given entropy, for one row's logits.
 *
 * Entropy rises monotonically with T (from the entropy of the argmax set at T → 0 to ln V at
 * T → ∞) and roughly linearly in log T, so bisection on log T converges geometrically from any
 * bracket. At the first generated position every row of a request conditions on the same
 * prompt, so the marginal entropy over any number of continuations equals this one row's
 * entropy: solving it there holds the target exactly for the caller's own prompt. Costs V
 * exponentials per iteration; it runs once per request, not per token.
 */
import { entropyOf } from "./entropy.js";

/** Bisection iterations on log T: the bracket shrinks 2^-40, far below float32 resolution. */
const ITERATIONS = 40;

/**
 * The temperature in [tMin, tMax] at which the entropy of softmax(z / T) is `target` nats.
 * Returns tMin (tMax) when the target lies below (above) what the range can reach.
 */
export function temperatureForEntropy(z: Float32Array, target: number, tMin: number, tMax: number): number {
  if (!(entropyOf(z, tMin) < target)) return tMin;
  if (!(entropyOf(z, tMax) > target)) return tMax;
  let lo = Math.log(tMin);
  let hi = Math.log(tMax);
  for (let k = 0; k < ITERATIONS; k++) {
    const mid = 0.5 * (lo + hi);
    if (entropyOf(z, Math.exp(mid)) < target) lo = mid;
    else hi = mid;
  }
  return Math.exp(0.5 * (lo + hi));
}
