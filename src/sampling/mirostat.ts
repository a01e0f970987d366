/**
 * Mirostat v2 — closed-loop control of surprise by truncation (Basu et al. 2021, "Mirostat: A
 * Neural Text Decoding Algorithm that Directly Controls Perplexity", Algorithm 2).
 *
 * A baseline for the entropy controllers: instead of moving T it moves a surprise ceiling mu,
 * dropping every token whose surprise −log p exceeds it. The update is llama.cpp's two lines:
 * e = surprise − tau; mu −= eta · e. Units are **nats** throughout (the paper and llama.cpp use
 * bits: tau_nats = tau_bits · ln 2), so tau is directly comparable with the entropy targets.
 * Placed first in a chain: it writes scores = logits / T itself.
 */
import { maxEntropy } from "./entropy.js";
import { OptionError } from "./option-error.js";
import type { Sampler } from "./sampler.js";
import { logSumExp } from "./softmax.js";
import { rowOf, type Step } from "./step.js";
import { scaleRowInto } from "./temperature.js";

/** Mirostat v2 settings. */
export interface MirostatOptions {
  /** Target mean surprise, nats (> 0). */
  tau: number;
  /** Learning rate of mu per nat of surprise error; default 0.1 as in llama.cpp. */
  eta?: number;
  /** Temperature applied before truncation; default 1 (the model's own distribution). */
  temperature?: number;
  /** The model's vocabulary size; when given, `tau` must be at most ln V (no larger mean surprise is reachable). */
  vocabSize?: number;
}

/**
 * Per-row Mirostat v2. mu starts at 2·tau (the paper's initialisation). `estimate[b]` is set to
 * the entropy of the truncated, renormalised distribution — what the draw will sample from if no
 * filter follows — rather than mu, because mu is a surprise ceiling, not an entropy.
 */
export function createMirostat({ tau, eta = 0.1, temperature = 1, vocabSize }: MirostatOptions): Sampler {
  const maxTau = maxEntropy(vocabSize);
  if (!(tau > 0 && tau <= maxTau)) throw new OptionError("tau", `tau must be in (0, ${maxTau.toFixed(3)}] nats${vocabSize === undefined ? "" : " (ln V)"}, got ${tau}`);
  if (!(eta > 0 && eta <= 1)) throw new OptionError("eta", `eta must be in (0, 1], got ${eta}`);
  if (!(temperature > 0) || !Number.isFinite(temperature)) {
    throw new OptionError("temperature", `temperature must be finite and > 0, got ${temperature}`);
  }
  const mu: number[] = [];
  return {
    name: "mirostat-v2",
    apply(step: Step): void {
      for (let b = 0; b < step.rows; b++) {
        if (step.active[b] === 0) continue;
        scaleRowInto(step, b, temperature);
        const scores = rowOf(step.scores, step, b);
        const lse = logSumExp(scores);
        let argmax = 0;
        for (let i = 1; i < scores.length; i++) if (scores[i]! > scores[argmax]!) argmax = i;
        // Surprise −log p_i = lse − s_i exceeds mu exactly when s_i < lse − mu: no exponentials.
        // Below the argmax's own surprise nothing would survive, so the ceiling stops there.
        const cut = Math.min(lse - (mu[b] ?? 2 * tau), scores[argmax]!);
        let mass = 0;
        let weighted = 0;
        for (let i = 0; i < scores.length; i++) {
          if (scores[i]! < cut) {
            scores[i] = -Infinity;
            continue;
          }
          const q = Math.exp(scores[i]! - lse);
          mass += q;
          weighted += q * (lse - scores[i]!);
        }
        // Renormalising by the kept mass Q shifts every surprise by log Q: H = Σ(q/Q)(lse − s) + log Q.
        step.estimate[b] = weighted / mass + Math.log(mass);
      }
    },
    accept(_tokens: Int32Array, step: Step): void {
      for (let b = 0; b < step.rows; b++) {
        if (step.active[b] === 0 || Number.isNaN(step.logprobs[b]!)) continue;
        const surprise = -step.logprobs[b]!;
        mu[b] = (mu[b] ?? 2 * tau) - eta * (surprise - tau);
      }
    },
    reset(): void {
      mu.length = 0;
    },
  };
}
