/**
 * Chain — samplers run in order as one sampler, after llama.cpp's `llama_sampler_chain`.
 *
 * A chain is itself a Sampler, so the decode loop holds exactly one. `accept` and `reset` fan
 * out to every member: a controller anywhere in the chain must see every committed token.
 */
import type { Sampler } from "./sampler.js";
import type { Step } from "./step.js";

/** A sampler that applies `samplers` in order and forwards accept/reset to each of them. */
export function createChain(samplers: readonly Sampler[]): Sampler {
  const members = [...samplers];
  return {
    name: `chain(${members.map((s) => s.name).join(",")})`,
    apply(step: Step): void {
      for (const s of members) s.apply(step);
    },
    accept(tokens: Int32Array, step: Step): void {
      for (const s of members) s.accept?.(tokens, step);
    },
    reset(): void {
      for (const s of members) s.reset?.();
    },
  };
}
