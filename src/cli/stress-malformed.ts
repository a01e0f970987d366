/**
 * Malformed requests — the stress suite's generator of bad request bodies and the judge of what
 * the server answers. Each case is an otherwise valid request with exactly one fault (a field of
 * the wrong type, out of its range, missing, unknown, refused, or two fields that contradict each
 * other), or a body that is not a JSON object at all, so the field the error must name is known.
 * Pure: randomness comes from the seeded rng passed in.
 */
import type { Rng } from "../sampling/rng.js";

export type Endpoint = "/v1/completions" | "/v1/chat/completions";

/** What the generator needs to know about the server under test. */
export interface MalformedContext {
  /** The served model's name (what `model` must be). */
  readonly model: string;
  readonly vocabSize: number;
  /** The model's positions (prompt + max_tokens must fit). */
  readonly maxPositions: number;
  readonly limits: { readonly maxTokens: number; readonly maxN: number; readonly maxPromptTokens: number; readonly maxBodyBytes: number };
  /** The fitted schedules' targets, lowest and highest, nats; absent when none are served. */
  readonly scheduleRange?: readonly [number, number];
}

export interface MalformedCase {
  /** The fault, e.g. "max_tokens above MAX_TOKENS"; cases share it when they differ only in values. */
  readonly fault: string;
  readonly endpoint: Endpoint;
  /** The body as sent: raw text, so it can hold what JSON.stringify cannot write (1e999, broken JSON). */
  readonly body: string;
  /** The field the error must name (its path, e.g. `entropy.target`); null for a body that is no JSON object. */
  readonly param: string | null;
  /** The status the answer must have. */
  readonly status: number;
}

/** A JSON value written as raw text into the body (1e999 parses to Infinity). */
class Raw {
  constructor(readonly text: string) {}
}
type Value = unknown;

/** What applying a fault decided beyond the body it changed: text to send instead, or the exact field at fault. */
interface Applied {
  readonly text?: string;
  readonly param?: string;
}

/** A fault: the field it is about, the status it is answered with, and how it changes a valid body. */
interface Fault {
  readonly name: string;
  readonly endpoints: readonly Endpoint[];
  /** The field the error must name, unless `apply` says which exactly; null for the body as a whole. */
  readonly param: string | null;
  /** 400 unless set. */
  readonly status?: number;
  /** Whether the fault can be built under these limits at all. */
  possible?(ctx: MalformedContext): boolean;
  /** Changes the valid `body` in place. */
  apply(body: Record<string, Value>, pick: Pick, ctx: MalformedContext): Applied;
}

/** Random choices drawn from one rng. */
interface Pick {
  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number;
  one<T>(xs: readonly T[]): T;
  chance(p: number): boolean;
}

function picker(rng: Rng): Pick {
  const int = (lo: number, hi: number) => lo + Math.floor(rng.next() * (hi - lo + 1));
  return { int, one: (xs) => xs[int(0, xs.length - 1)]!, chance: (p) => rng.next() < p };
}

const BOTH: readonly Endpoint[] = ["/v1/completions", "/v1/chat/completions"];
const COMPLETIONS: readonly Endpoint[] = ["/v1/completions"];
const CHAT: readonly Endpoint[] = ["/v1/chat/completions"];

/** Values of every JSON type but the ones a field accepts (null is "absent" to every optional field). */
const OF_TYPE = {
  string: () => ["x", "", "1", "true", "\ud800"],
  number: () => [0, 1, -1, 2.5, 1e6],
  boolean: () => [true, false],
  array: () => [[], [1], ["x"], [[]]],
  object: () => [{}, { a: 1 }, { mode: "exact" }],
} as const;
type JsonType = keyof typeof OF_TYPE;
const wrongTypes = (accepted: readonly JsonType[]): Value[] => (Object.keys(OF_TYPE) as JsonType[]).filter((t) => !accepted.includes(t)).flatMap((t) => OF_TYPE[t]() as readonly Value[]);

/** Numbers that are not finite once parsed: JSON has no NaN, but 1e999 reads as Infinity. */
const INFINITE = [new Raw("1e999"), new Raw("-1e999")];

/** A field set to each of `values` (or a generated one): the fault named `name`. */
function setField(name: string, endpoints: readonly Endpoint[], path: readonly string[], values: (p: Pick, ctx: MalformedContext) => Value, extra: Partial<Fault> = {}): Fault {
  return {
    name,
    endpoints,
    param: path.join("."),
    ...extra,
    apply(body, pick, ctx) {
      setPath(body, path, values(pick, ctx));
      return {};
    },
  };
}

function setPath(body: Record<string, Value>, path: readonly string[], value: Value): void {
  let at = body;
  for (const key of path.slice(0, -1)) {
    if (typeof at[key] !== "object" || at[key] === null || Array.isArray(at[key])) at[key] = {};
    at = at[key] as Record<string, Value>;
  }
  at[path[path.length - 1]!] = value;
}

/** A required field left out. */
const missing = (field: string, endpoints: readonly Endpoint[]): Fault => ({
  name: `${field} missing`,
  endpoints,
  param: field,
  apply(body) {
    delete body[field];
    return {};
  },
});

/** A field of the wrong JSON type. */
const typed = (field: string, endpoints: readonly Endpoint[], accepted: readonly JsonType[]): Fault =>
  setField(`${field} of the wrong type`, endpoints, field.split("."), (p) => p.one(wrongTypes(accepted)));

/** A bound of a number field: fixed, or read from the server's limits. */
type Bound = number | ((ctx: MalformedContext) => number);
interface Bounds {
  readonly lo?: Bound;
  readonly hi?: Bound;
  readonly integer?: boolean;
}
const boundOf = (b: Bound, ctx: MalformedContext): number => (typeof b === "number" ? b : b(ctx));

/** A number field out of its range (below `lo`, above `hi`, not finite, not an integer) or not a number; `entropy` is the extension object it is checked under. */
function outOfRange(field: string, endpoints: readonly Endpoint[], { lo, hi, integer }: Bounds, entropy?: Record<string, Value>): Fault[] {
  const path = field.split(".");
  const offset = (p: Pick) => p.one([1e-3, 0.5, 1, p.int(1, 10), p.int(11, 1e6), 1e12]);
  const faults: Fault[] = [setField(`${field} not finite`, endpoints, path, (p) => p.one(INFINITE)), setField(`${field} of the wrong type`, endpoints, path, (p) => p.one(wrongTypes(["number"])))];
  if (lo !== undefined) faults.push(setField(`${field} below its range`, endpoints, path, (p, ctx) => boundOf(lo, ctx) - offset(p)));
  if (hi !== undefined) faults.push(setField(`${field} above its range`, endpoints, path, (p, ctx) => boundOf(hi, ctx) + offset(p)));
  if (integer) {
    faults.push(
      setField(`${field} not an integer`, endpoints, path, (p, ctx) => {
        const low = lo === undefined ? 0 : boundOf(lo, ctx);
        const high = hi === undefined ? low + 100 : boundOf(hi, ctx);
        return Math.min(low + p.int(0, 100), high - 1) + 0.5;
      }),
    );
  }
  if (entropy === undefined) return faults;
  return faults.map((f) => ({
    ...f,
    name: `${f.name} (mode ${entropy["mode"]})`,
    apply(body, pick, ctx) {
      body["entropy"] = { ...entropy };
      return f.apply(body, pick, ctx);
    },
  }));
}

/** A field this server refuses whatever its value. */
const refused = (field: string, endpoints: readonly Endpoint[]): Fault =>
  setField(`${field} set (not supported)`, endpoints, [field], (p) => p.one(["x", 1, true, [{ type: "function" }], { type: "auto" }]));

/** A request body replaced by text that is not a JSON object. */
const notAnObject = (name: string, text: (p: Pick, body: string) => string): Fault => ({
  name,
  endpoints: BOTH,
  param: null,
  apply: (body, pick) => ({ text: text(pick, JSON.stringify(body)) }),
});

/** ln V, the largest entropy a target or tau may ask for. */
const lnV = (ctx: MalformedContext): number => Math.log(ctx.vocabSize);

/** Every fault the generator draws from; each names the field its error must carry. */
export const FAULTS: readonly Fault[] = [
  // the body as a whole
  notAnObject("body not JSON", (p) => p.one(["", "{", "nul", "{'model': 1}", "\u0000", "<xml/>", "model=x&prompt=y", "{}}"])),
  notAnObject("body truncated", (p, body) => body.slice(0, p.int(1, body.length - 1))),
  notAnObject("body a JSON value other than an object", (p) => p.one(["null", "true", "1", '"x"', "[]", '[{"model":"x"}]', "1e999"])),
  {
    name: "body over MAX_BODY_BYTES",
    endpoints: BOTH,
    param: null,
    status: 413,
    apply(body, pick, ctx) {
      body["user"] = "u".repeat(ctx.limits.maxBodyBytes + pick.int(1, ctx.limits.maxBodyBytes));
      return {};
    },
  },
  // model
  missing("model", BOTH),
  typed("model", BOTH, ["string"]),
  setField("model not served", BOTH, ["model"], (p, ctx) => p.one([`${ctx.model}-x`, ctx.model.toUpperCase(), "gpt-4", "", " "]), { status: 404 }),
  // what is generated
  ...outOfRange("max_tokens", BOTH, { lo: 1, hi: (ctx) => ctx.limits.maxTokens, integer: true }),
  {
    name: "prompt + max_tokens beyond the model's positions",
    endpoints: COMPLETIONS,
    param: "max_tokens",
    possible: (ctx) => ctx.limits.maxPromptTokens + ctx.limits.maxTokens > ctx.maxPositions,
    apply(body, pick, ctx) {
      const promptTokens = pick.int(Math.max(1, ctx.maxPositions - ctx.limits.maxTokens + 1), ctx.limits.maxPromptTokens);
      body["prompt"] = Array.from({ length: promptTokens }, (_, i) => 1 + (i % (ctx.vocabSize - 1)));
      body["max_tokens"] = pick.int(ctx.maxPositions - promptTokens + 1, ctx.limits.maxTokens);
      return {};
    },
  },
  ...outOfRange("max_completion_tokens", CHAT, { lo: 1, hi: (ctx) => ctx.limits.maxTokens, integer: true }),
  ...outOfRange("n", BOTH, { lo: 1, hi: (ctx) => ctx.limits.maxN, integer: true }),
  ...outOfRange("best_of", COMPLETIONS, { lo: 1, hi: (ctx) => ctx.limits.maxN, integer: true }),
  {
    name: "best_of below n",
    endpoints: COMPLETIONS,
    param: "best_of",
    apply(body, pick, ctx) {
      body["n"] = pick.int(2, ctx.limits.maxN);
      body["best_of"] = pick.int(1, (body["n"] as number) - 1);
      return {};
    },
  },
  {
    name: "best_of above n, streamed",
    endpoints: COMPLETIONS,
    param: "best_of",
    apply(body, pick, ctx) {
      body["n"] = 1;
      body["best_of"] = pick.int(2, ctx.limits.maxN);
      body["stream"] = true;
      return {};
    },
  },
  ...outOfRange("seed", BOTH, { lo: 0, hi: 2 ** 32 - 1, integer: true }),
  // sampling
  ...outOfRange("temperature", BOTH, { lo: 0, hi: 2 }),
  ...outOfRange("top_p", BOTH, { lo: 0, hi: 1 }),
  setField("top_p 0", BOTH, ["top_p"], () => 0),
  ...outOfRange("top_k", BOTH, { lo: 0, integer: true }),
  ...outOfRange("min_p", BOTH, { lo: 0, hi: 1 }),
  ...outOfRange("presence_penalty", BOTH, { lo: -2, hi: 2 }),
  ...outOfRange("frequency_penalty", BOTH, { lo: -2, hi: 2 }),
  setField("repetition_penalty not positive", BOTH, ["repetition_penalty"], (p) => p.one([0, -1, -0.5, -1e6])),
  setField("repetition_penalty not a finite number", BOTH, ["repetition_penalty"], (p) => p.one([...INFINITE, ...wrongTypes(["number"])])),
  setField("min_tokens negative", BOTH, ["min_tokens"], (p) => -p.int(1, 1e6)),
  setField("min_tokens not an integer", BOTH, ["min_tokens"], (p) => p.int(0, 3) + 0.5),
  typed("min_tokens", BOTH, ["number"]),
  {
    name: "min_tokens above max_tokens",
    endpoints: BOTH,
    param: "min_tokens",
    apply(body, pick) {
      body["max_tokens"] = pick.int(1, 4);
      body["min_tokens"] = (body["max_tokens"] as number) + pick.int(1, 100);
      return {};
    },
  },
  setField("logit_bias with a token id outside the vocabulary", BOTH, ["logit_bias"], (p, ctx) => ({ [String(p.one([ctx.vocabSize, ctx.vocabSize + p.int(1, 1e6), -1]))]: 1 })),
  setField("logit_bias with a key that is no token id", BOTH, ["logit_bias"], (p) => ({ [p.one(["x", "1.5", "", " 1", "0x10", "1e3"])]: 1 })),
  setField("logit_bias with a value out of [-100, 100]", BOTH, ["logit_bias"], (p) => ({ [String(p.int(1, 100))]: p.one([-100.5, 101, 1e9, -1e9]) })),
  setField("logit_bias with a value that is no finite number", BOTH, ["logit_bias"], (p) => ({ [String(p.int(1, 100))]: p.one([...INFINITE, "1", true, null, [1], {}]) })),
  setField("logit_bias banning every token", BOTH, ["logit_bias"], (_, ctx) => Object.fromEntries(Array.from({ length: ctx.vocabSize }, (_, i) => [String(i), -100])), {
    possible: (ctx) => ctx.vocabSize * 12 < ctx.limits.maxBodyBytes,
  }),
  typed("logit_bias", BOTH, ["object"]),
  // switches and strings
  typed("stream", BOTH, ["boolean"]),
  typed("stream_options", BOTH, ["object"]),
  setField("stream_options.include_usage of the wrong type", BOTH, ["stream_options", "include_usage"], (p) => p.one(wrongTypes(["boolean"]))),
  typed("telemetry", BOTH, ["boolean"]),
  typed("ignore_eos", BOTH, ["boolean"]),
  typed("echo", COMPLETIONS, ["boolean"]),
  typed("user", BOTH, ["string"]),
  setField("stop of the wrong type", BOTH, ["stop"], (p) => p.one([1, true, {}, [1], [null], [["a"]]])),
  setField("more than four stops", BOTH, ["stop"], (p) => Array.from({ length: p.int(5, 40) }, (_, i) => `s${i}`)),
  setField("response_format other than text", BOTH, ["response_format"], (p) => p.one([{ type: "json_object" }, { type: "json_schema", json_schema: {} }, { type: 1 }, {}, "text"])),
  {
    name: "echo with logprobs",
    endpoints: COMPLETIONS,
    param: "echo",
    apply(body, pick) {
      body["echo"] = true;
      body["logprobs"] = pick.int(0, 5);
      return {};
    },
  },
  // completions: prompt and logprobs
  missing("prompt", COMPLETIONS),
  setField("prompt of the wrong type", COMPLETIONS, ["prompt"], (p) => p.one([1, true, {}, { text: "x" }, [[1]], ["x"], [true]])),
  setField("prompt an empty id array", COMPLETIONS, ["prompt"], () => []),
  setField("prompt with an id that is no integer", COMPLETIONS, ["prompt"], (p) => [1, p.one([1.5, -1, -0.5]), 2]),
  setField("prompt with an id that is not finite", COMPLETIONS, ["prompt"], (p) => [p.one(INFINITE)]),
  setField("prompt with an id outside the vocabulary", COMPLETIONS, ["prompt"], (p, ctx) => [1, ctx.vocabSize + p.int(0, 1e6)]),
  setField("prompt that encodes to nothing", COMPLETIONS, ["prompt"], () => ""),
  setField("prompt over MAX_PROMPT_TOKENS", COMPLETIONS, ["prompt"], (p, ctx) => Array.from({ length: ctx.limits.maxPromptTokens + p.int(1, 200) }, () => p.int(1, ctx.vocabSize - 1))),
  setField("prompt text over MAX_PROMPT_TOKENS", COMPLETIONS, ["prompt"], (_, ctx) => "And it came to pass ".repeat(Math.ceil(ctx.limits.maxPromptTokens / 4) + 20)),
  ...outOfRange("logprobs", COMPLETIONS, { lo: 0, hi: 5, integer: true }),
  refused("suffix", COMPLETIONS),
  // chat: messages and their options
  missing("messages", CHAT),
  setField("messages of the wrong type", CHAT, ["messages"], (p) => p.one(["Hi", 1, true, {}, { role: "user", content: "Hi" }])),
  setField("messages empty", CHAT, ["messages"], () => []),
  ...messageFaults(),
  setField("messages over MAX_PROMPT_TOKENS", CHAT, ["messages"], (_, ctx) => [{ role: "user", content: "And it came to pass ".repeat(Math.ceil(ctx.limits.maxPromptTokens / 4) + 20) }]),
  typed("logprobs", CHAT, ["boolean"]),
  ...outOfRange("top_logprobs", CHAT, { lo: 0, hi: 20, integer: true }).map((f) => ({
    ...f,
    apply: (body: Record<string, Value>, pick: Pick, ctx: MalformedContext) => {
      body["logprobs"] = true;
      return f.apply(body, pick, ctx);
    },
  })),
  {
    name: "top_logprobs without logprobs",
    endpoints: CHAT,
    param: "top_logprobs",
    apply(body, pick) {
      delete body["logprobs"];
      body["top_logprobs"] = pick.int(1, 20);
      return {};
    },
  },
  ...["tools", "tool_choice", "functions", "function_call", "audio"].map((f) => refused(f, CHAT)),
  setField("modalities other than text", CHAT, ["modalities"], (p) => p.one([["audio"], ["text", "audio"], "text", [1]])),
  // the entropy extension
  typed("entropy", BOTH, ["object"]),
  setField("entropy.mode missing", BOTH, ["entropy"], () => ({ target: 3 }), { param: "entropy.mode" }),
  setField("entropy.mode unknown", BOTH, ["entropy", "mode"], (p) => p.one(["typical", "EXACT", "", 1, null, ["exact"]])),
  {
    name: "entropy with an unknown key",
    endpoints: BOTH,
    param: "entropy",
    apply(body, pick) {
      const key = pick.one(["targt", "temperature", "Target", "t-min", "mu", "__proto__x"]);
      body["entropy"] = { mode: "exact", target: 3, [key]: 1 };
      return { param: `entropy.${key}` };
    },
  },
  ...["exact", "proxy", "marginal", "schedule"].map(
    (mode): Fault => ({
      name: `entropy.target missing in mode ${mode}`,
      endpoints: BOTH,
      param: "entropy.target",
      apply(body) {
        body["entropy"] = { mode };
        if (mode === "marginal") body["n"] = 2;
        return {};
      },
    }),
  ),
  ...outOfRange("entropy.target", BOTH, { lo: 0, hi: lnV }, { mode: "exact" }),
  ...outOfRange("entropy.target", BOTH, { lo: 0, hi: lnV }, { mode: "proxy" }),
  ...outOfRange("entropy.gain", BOTH, { lo: 0, hi: 2 }, { mode: "exact", target: 3 }),
  ...outOfRange("entropy.t_min", BOTH, { lo: 0.001, hi: 100 }, { mode: "exact", target: 3 }),
  ...outOfRange("entropy.t_max", BOTH, { lo: 4, hi: 100 }, { mode: "exact", target: 3, t_min: 4 }),
  ...outOfRange("entropy.tau", BOTH, { lo: 0, hi: lnV }, { mode: "mirostat" }),
  ...outOfRange("entropy.eta", BOTH, { lo: 0, hi: 1 }, { mode: "mirostat", tau: 3 }),
  setField("entropy.tau 0", BOTH, ["entropy"], () => ({ mode: "mirostat", tau: 0 }), { param: "entropy.tau" }),
  setField("entropy.eta 0", BOTH, ["entropy"], () => ({ mode: "mirostat", tau: 3, eta: 0 }), { param: "entropy.eta" }),
  setField("mirostat without tau or target", BOTH, ["entropy"], () => ({ mode: "mirostat" }), { param: "entropy.tau" }),
  setField(
    "entropy.target outside the fitted schedules",
    BOTH,
    ["entropy"],
    (p, ctx) => {
      const [lo, hi] = ctx.scheduleRange!;
      return { mode: "schedule", target: p.chance(0.5) ? lo * p.one([0, 0.5, 0.99]) : hi + (lnV(ctx) - hi) * p.one([0.01, 0.5, 1]) };
    },
    { param: "entropy.target", possible: (ctx) => ctx.scheduleRange !== undefined },
  ),
  {
    name: "marginal with n = 1",
    endpoints: BOTH,
    param: "n",
    apply(body) {
      body["n"] = 1;
      body["entropy"] = { mode: "marginal", target: 4 };
      delete body["best_of"];
      return {};
    },
  },
];

/** Faults in one message among valid ones; the error names that message by its index. */
function messageFaults(): Fault[] {
  /** `change` turns a valid message into a bad one (a missing field: deleted from it). */
  const inMessage = (name: string, field: "role" | "content" | "name" | null, change: (m: Record<string, Value>, p: Pick) => Value): Fault => ({
    name,
    endpoints: CHAT,
    param: "messages",
    apply(body, pick) {
      const messages: Value[] = Array.from({ length: pick.int(1, 4) }, (_, i) => ({ role: i % 2 ? "assistant" : "user", content: `line ${i}` }));
      const k = pick.int(0, messages.length - 1);
      messages[k] = change({ ...(messages[k] as object) }, pick);
      body["messages"] = messages;
      return { param: `messages[${k}]${field ? `.${field}` : ""}` };
    },
  });
  const set = (field: string, values: readonly Value[]) => (m: Record<string, Value>, p: Pick) => ({ ...m, [field]: p.one(values) });
  const without = (field: string) => (m: Record<string, Value>) => {
    delete m[field];
    return m;
  };
  return [
    inMessage("message not an object", null, (_, p) => p.one(["Hi", 1, null, [], true])),
    inMessage("message role unknown", "role", set("role", ["wizard", "USER", "", 1, null])),
    inMessage("message role missing", "role", without("role")),
    inMessage("message content of the wrong type", "content", set("content", [1, true, {}, null])),
    inMessage("message content missing", "content", without("content")),
    inMessage("message content with a part that is not text", "content", set("content", [[{ type: "image_url", image_url: "x" }], [{ type: "text" }], [{ type: "text", text: 1 }], ["x"]])),
    inMessage("message name of the wrong type", "name", set("name", [1, true, {}, []])),
  ];
}

const PROMPTS = ["And it came to pass", "In the beginning", "And God said", "Blessed are", "x"];

/** A valid body for `endpoint` with a random selection of optional fields, each within its range. */
function validBody(endpoint: Endpoint, pick: Pick, ctx: MalformedContext): Record<string, Value> {
  const body: Record<string, Value> = { model: ctx.model, max_tokens: pick.int(1, 3) };
  if (endpoint === "/v1/completions") body["prompt"] = pick.chance(0.8) ? pick.one(PROMPTS) : [pick.int(1, ctx.vocabSize - 1), pick.int(1, ctx.vocabSize - 1)];
  else body["messages"] = [{ role: "user", content: pick.one(PROMPTS) }];
  const optional: [number, () => void][] = [
    [0.3, () => (body["temperature"] = pick.one([0.5, 1, 1.5, 2]))],
    [0.2, () => (body["top_p"] = pick.one([0.5, 0.9, 1]))],
    [0.2, () => (body["top_k"] = pick.int(0, 50))],
    [0.2, () => (body["min_p"] = pick.one([0, 0.05, 0.1]))],
    [0.3, () => (body["n"] = pick.int(1, Math.min(2, ctx.limits.maxN)))],
    [0.3, () => (body["stream"] = pick.chance(0.5))],
    [0.3, () => (body["seed"] = pick.int(0, 2 ** 32 - 1))],
    [0.2, () => (body["stop"] = pick.chance(0.5) ? "\n" : ["\n", "."])],
    [0.2, () => (body["telemetry"] = pick.chance(0.5))],
    [0.1, () => (body["presence_penalty"] = pick.one([-1, 0, 0.5]))],
    [0.1, () => (body["logit_bias"] = { [String(pick.int(1, ctx.vocabSize - 1))]: pick.one([-100, -1, 5]) })],
    [0.1, () => (body["user"] = "stress")],
    [0.1, () => (body["x_unknown_field"] = pick.one([1, "x", { nested: [1, 2] }]))],
    [0.3, () => (body["entropy"] = pick.one([{ mode: "fixed" }, { mode: "exact", target: 3 }, { mode: "mirostat", tau: 3 }]))],
  ];
  for (const [p, set] of optional) if (pick.chance(p)) set();
  // mirostat rejects temperature 0 (greedy) by itself: keep the valid body valid
  if ((body["entropy"] as { mode?: string } | undefined)?.mode === "mirostat" && body["temperature"] === 0) body["temperature"] = 1;
  return body;
}

/** `JSON.stringify` that writes Raw values as their text. */
function serialize(body: Record<string, Value>): string {
  const raws: string[] = [];
  const text = JSON.stringify(body, (_, value) => {
    if (!(value instanceof Raw)) return value;
    raws.push(value.text);
    return `\u0000raw${raws.length - 1}\u0000`;
  });
  return text.replace(/"\\u0000raw(\d+)\\u0000"/g, (_, i: string) => raws[Number(i)]!);
}

/**
 * `count` malformed requests from `rng`: a fault drawn uniformly from those possible under
 * `ctx`, applied to a valid body with random optional fields for one of its endpoints.
 */
export function malformedRequests(ctx: MalformedContext, rng: Rng, count: number): MalformedCase[] {
  const pick = picker(rng);
  const faults = FAULTS.filter((f) => f.possible?.(ctx) ?? true);
  return Array.from({ length: count }, () => {
    const fault = pick.one(faults);
    const endpoint = pick.one(fault.endpoints);
    const body = validBody(endpoint, pick, ctx);
    const applied = fault.apply(body, pick, ctx);
    return { fault: fault.name, endpoint, body: applied.text ?? serialize(body), param: applied.param ?? fault.param, status: fault.status ?? 400 };
  });
}

/** What the server answered to one case. */
export interface Answer {
  readonly status: number;
  readonly contentType: string | null;
  readonly body: string;
}

/** How an answer fell short; undefined when it is what the case expects. */
export type Failure = "5xx" | "accepted" | "wrong status" | "not JSON" | "no error object" | "wrong param";

/** Whether `param` names the field `expected`: the field itself or a path inside it (`prompt[3]` names `prompt`). */
export function namesField(param: string | null, expected: string | null): boolean {
  if (expected === null || param === null) return param === expected;
  return param === expected || param.startsWith(`${expected}.`) || param.startsWith(`${expected}[`);
}

/** Judge one answer: a 4xx JSON error with the status the case expects, naming its field. */
export function judge(c: MalformedCase, a: Answer): Failure | undefined {
  if (a.status >= 500) return "5xx";
  if (a.status >= 200 && a.status < 300) return "accepted";
  if (a.status !== c.status) return "wrong status";
  if (!/^application\/json\b/.test(a.contentType ?? "")) return "not JSON";
  let error: unknown;
  try {
    error = (JSON.parse(a.body) as { error?: unknown }).error;
  } catch {
    return "not JSON";
  }
  const e = error as { message?: unknown; type?: unknown; param?: unknown } | undefined;
  if (typeof e !== "object" || e === null || typeof e.message !== "string" || typeof e.type !== "string" || !(typeof e.param === "string" || e.param === null)) return "no error object";
  return namesField(e.param, c.param) ? undefined : "wrong param";
}
