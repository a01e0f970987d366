/**
 * Penalties — lower the logits of tokens already seen, against repetition.
 *
 * - presence and frequency, OpenAI's definition over the tokens this row has generated:
 *   z_j −= frequency · c_j + presence · [c_j > 0], with c_j the count of token j so far; each in
 *   [−2, 2], negative values encourage repetition.
 * - repetition, CTRL's (Keskar et al. 2019, "CTRL: A Conditional Transformer Language Model for
 *   Controllable Generation") as vLLM and llama.cpp implement it, over the prompt and the tokens
 *   generated: a seen token's logit is divided by r when positive and multiplied by r otherwise;
 *   r > 1 discourages repetition, 1 is neutral.
 *
 * Repetition comes first, then frequency and presence, as in vLLM's `apply_penalties`. A logit
 * processor (logit-processors.ts): it writes `scores` while they are still a copy of the logits,
 * and counts the tokens each row generates in `accept`. Each step costs the number of distinct
 * tokens seen, not V.
 */
import { OptionError } from "./option-error.js";
import type { Sampler } from "./sampler.js";
import { rowOf, type Step } from "./step.js";

export interface PenaltyOptions {
  /** OpenAI `presence_penalty`, in [−2, 2]; default 0. */
  presence?: number;
  /** OpenAI `frequency_penalty`, in [−2, 2]; default 0. */
  frequency?: number;
  /** CTRL repetition penalty, finite and > 0; default 1. */
  repetition?: number;
  /** The prompt, whose tokens the repetition penalty also counts as seen. */
  promptIds?: readonly number[];
}

const OPENAI_RANGE = 2;

function checkOpenAiPenalty(option: string, label: string, value: number): number {
  if (!(Number.isFinite(value) && Math.abs(value) <= OPENAI_RANGE)) {
    throw new OptionError(option, `${label} must be in [-${OPENAI_RANGE}, ${OPENAI_RANGE}], got ${value}`);
  }
  return value;
}

/** Whether `options` change anything; when they do not, leave the sampler out of the chain. */
export function penalizes({ presence = 0, frequency = 0, repetition = 1 }: PenaltyOptions): boolean {
  return presence !== 0 || frequency !== 0 || repetition !== 1;
}

/** The penalties of `options` as one sampler with a token count per row. */
export function createPenalties(options: PenaltyOptions): Sampler {
  const presence = checkOpenAiPenalty("presencePenalty", "presence_penalty", options.presence ?? 0);
  const frequency = checkOpenAiPenalty("frequencyPenalty", "frequency_penalty", options.frequency ?? 0);
  const repetition = options.repetition ?? 1;
  if (!(Number.isFinite(repetition) && repetition > 0)) {
    throw new OptionError("repetitionPenalty", `repetition_penalty must be finite and > 0, got ${repetition}`);
  }
  const prompt = new Set(options.promptIds ?? []);
  // Row b's count of each token it generated; rows appear on their first accept.
  const counts: Map<number, number>[] = [];
  const repeat = (scores: Float32Array, id: number): void => {
    const z = scores[id]!;
    scores[id] = z > 0 ? z / repetition : z * repetition;
  };
  return {
    name: "penalties",
    apply(step: Step): void {
      for (let b = 0; b < step.rows; b++) {
        if (step.active[b] === 0) continue;
        const scores = rowOf(step.scores, step, b);
        const seen = counts[b] ?? new Map<number, number>();
        if (repetition !== 1) {
          for (const id of prompt) repeat(scores, id);
          for (const id of seen.keys()) if (!prompt.has(id)) repeat(scores, id);
        }
        for (const [id, c] of seen) scores[id]! -= frequency * c + presence;
      }
    },
    accept(tokens: Int32Array): void {
      for (let b = 0; b < tokens.length; b++) {
        const id = tokens[b]!;
        if (id < 0) continue;
        const seen = counts[b] ?? new Map<number, number>();
        counts[b] = seen;
        seen.set(id, (seen.get(id) ?? 0) + 1);
      }
    },
    reset(): void {
      counts.length = 0;
    },
  };
}
