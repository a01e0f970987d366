/**
 * Bad request bodies and the field each must be blamed on, shared by the Node-app tests and the
 * workerd tests so both run every validation path against their own limits.
 */
export type Case = [label: string, body: Record<string, unknown>, param: string | null];

export interface CaseContext {
  readonly name: string;
  readonly vocabSize: number;
  readonly limits: { readonly maxPromptTokens: number; readonly maxN: number; readonly maxTokens: number };
}

export function validationCases({ name, vocabSize, limits }: CaseContext): { completion: Case[]; chat: Case[] } {
  const messages = [{ role: "user", content: "Hi" }];
  const lnV = Math.log(vocabSize);
  /** Bad /v1/completions bodies and the field each must be blamed on. */
  const completion: Case[] = [
    ["model missing", { prompt: "x" }, "model"],
    ["model not a string", { model: 3, prompt: "x" }, "model"],
    ["prompt missing", { model: name }, "prompt"],
    ["prompt of the wrong type", { model: name, prompt: { text: "x" } }, "prompt"],
    ["prompt as an empty id array", { model: name, prompt: [] }, "prompt"],
    ["prompt with a non-integer id", { model: name, prompt: [1.5] }, "prompt[0]"],
    ["prompt id outside the vocabulary", { model: name, prompt: [vocabSize] }, "prompt"],
    ["prompt that encodes to nothing", { model: name, prompt: "" }, "prompt"],
    ["prompt over MAX_PROMPT_TOKENS", { model: name, prompt: new Array(limits.maxPromptTokens + 1).fill(1) }, "prompt"],
    ["max_tokens 0", { model: name, prompt: "x", max_tokens: 0 }, "max_tokens"],
    ["max_tokens not an integer", { model: name, prompt: "x", max_tokens: 2.5 }, "max_tokens"],
    ["max_tokens over MAX_TOKENS", { model: name, prompt: "x", max_tokens: limits.maxTokens + 1 }, "max_tokens"],
    ["temperature below 0", { model: name, prompt: "x", temperature: -0.1 }, "temperature"],
    ["temperature above 2", { model: name, prompt: "x", temperature: 2.5 }, "temperature"],
    ["top_p 0", { model: name, prompt: "x", top_p: 0 }, "top_p"],
    ["top_p above 1", { model: name, prompt: "x", top_p: 1.5 }, "top_p"],
    ["top_k negative", { model: name, prompt: "x", top_k: -1 }, "top_k"],
    ["top_k not an integer", { model: name, prompt: "x", top_k: 2.5 }, "top_k"],
    ["min_p above 1", { model: name, prompt: "x", min_p: 1.5 }, "min_p"],
    ["n 0", { model: name, prompt: "x", n: 0 }, "n"],
    ["n over MAX_N", { model: name, prompt: "x", n: limits.maxN + 1 }, "n"],
    ["stream not a boolean", { model: name, prompt: "x", stream: "yes" }, "stream"],
    ["stream_options not an object", { model: name, prompt: "x", stream_options: true }, "stream_options"],
    ["stream_options an array", { model: name, prompt: "x", stream_options: [1] }, "stream_options"],
    ["logit_bias an array", { model: name, prompt: "x", logit_bias: [5] }, "logit_bias"],
    ["response_format an array", { model: name, prompt: "x", response_format: [{ type: "text" }] }, "response_format"],
    ["seed negative", { model: name, prompt: "x", seed: -1 }, "seed"],
    ["seed not an integer", { model: name, prompt: "x", seed: 0.5 }, "seed"],
    ["seed over 2^32 - 1", { model: name, prompt: "x", seed: 2 ** 32 }, "seed"],
    ["stop not a string", { model: name, prompt: "x", stop: 7 }, "stop"],
    ["more than four stops", { model: name, prompt: "x", stop: ["a", "b", "c", "d", "e"] }, "stop"],
    ["logprobs over 5", { model: name, prompt: "x", logprobs: 6 }, "logprobs"],
    ["user not a string", { model: name, prompt: "x", user: 5 }, "user"],
    ["telemetry not a boolean", { model: name, prompt: "x", telemetry: "on" }, "telemetry"],
    ["entropy not an object", { model: name, prompt: "x", entropy: "exact" }, "entropy"],
    ["entropy an array", { model: name, prompt: "x", entropy: [{ mode: "exact", target: 2 }] }, "entropy"],
    ["entropy without a mode", { model: name, prompt: "x", entropy: { target: 2 } }, "entropy.mode"],
    ["entropy.mode unknown", { model: name, prompt: "x", entropy: { mode: "typical", target: 2 } }, "entropy.mode"],
    ["entropy with an unknown key", { model: name, prompt: "x", entropy: { mode: "exact", targt: 2 } }, "entropy.targt"],
    ["entropy.target negative", { model: name, prompt: "x", entropy: { mode: "exact", target: -1 } }, "entropy.target"],
    ["entropy.target above ln V", { model: name, prompt: "x", entropy: { mode: "exact", target: lnV + 1 } }, "entropy.target"],
    ["entropy.target missing", { model: name, prompt: "x", entropy: { mode: "exact" } }, "entropy.target"],
    ["entropy.gain negative", { model: name, prompt: "x", entropy: { mode: "exact", target: 2, gain: -1 } }, "entropy.gain"],
    ["entropy.t_min 0", { model: name, prompt: "x", entropy: { mode: "exact", target: 2, t_min: 0 } }, "entropy.t_min"],
    ["entropy.t_max 0", { model: name, prompt: "x", entropy: { mode: "exact", target: 2, t_max: 0 } }, "entropy.t_max"],
    ["entropy.t_max below t_min", { model: name, prompt: "x", entropy: { mode: "exact", target: 2, t_min: 1, t_max: 0.5 } }, "entropy.t_max"],
    ["entropy.tau 0", { model: name, prompt: "x", entropy: { mode: "mirostat", tau: 0 } }, "entropy.tau"],
    ["entropy.eta negative", { model: name, prompt: "x", entropy: { mode: "mirostat", tau: 2, eta: -1 } }, "entropy.eta"],
    ["mirostat without tau or target", { model: name, prompt: "x", entropy: { mode: "mirostat" } }, "entropy.tau"],
  ];

  /** Bad /v1/chat/completions bodies. */
  const chat: Case[] = [
    ["messages missing", { model: name }, "messages"],
    ["messages empty", { model: name, messages: [] }, "messages"],
    ["message role unknown", { model: name, messages: [{ role: "wizard", content: "x" }] }, "messages[0].role"],
    ["message content of the wrong type", { model: name, messages: [{ role: "user", content: 5 }] }, "messages[0].content"],
    ["message content with a non-text part", { model: name, messages: [{ role: "user", content: [{ type: "image_url", image_url: "x" }] }] }, "messages[0].content"],
    ["max_completion_tokens 0", { model: name, messages, max_completion_tokens: 0 }, "max_completion_tokens"],
    ["top_logprobs over 20", { model: name, messages, logprobs: true, top_logprobs: 21 }, "top_logprobs"],
    ["logprobs not a boolean", { model: name, messages, logprobs: 3 }, "logprobs"],
    ["messages over MAX_PROMPT_TOKENS", { model: name, messages: [{ role: "user", content: "And it came to pass ".repeat(Math.ceil(limits.maxPromptTokens / 5) + 10) }] }, "messages"],
  ];
  return { completion, chat };
}
