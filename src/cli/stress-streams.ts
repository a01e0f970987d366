/**
 * Stream outcomes — what one SSE completion delivered, read from its text, and the stress
 * suite's verdict on a stream that ran among many against the same request replayed alone:
 * *lost* when it did not arrive whole (a failed status, an error event, no [DONE], fewer tokens),
 * *mixed* when it carries what another request produced (a chunk of another id, a row it did not
 * ask for, other tokens than its replay). Requests are seeded, so a replay gives the same tokens.
 * Pure.
 */

/** What one streamed completion (text or chat) delivered. */
export interface StreamOutcome {
  readonly status: number;
  /** Distinct chunk ids, in order of arrival (one for a stream that is not mixed). */
  readonly ids: readonly string[];
  /** Token ids per choice index, from the chunks' telemetry. */
  readonly tokens: readonly (readonly number[])[];
  /** Text per choice index. */
  readonly text: readonly string[];
  /** Whether the stream ended with `data: [DONE]`. */
  readonly done: boolean;
  /** The code (or message) of an error event, or of the error body of a failed status. */
  readonly error?: string;
}

interface Chunk {
  id?: string;
  error?: { code?: string | null; message?: string };
  choices?: { index: number; text?: string; delta?: { content?: string }; telemetry?: { token_id: number }[] }[];
}

/** Read a streamed response's status and body text into its outcome. */
export function parseStream(status: number, body: string): StreamOutcome {
  if (status !== 200) {
    let error: string | undefined;
    try {
      error = (JSON.parse(body) as Chunk).error?.code ?? undefined;
    } catch {
      // not JSON: the status says it all
    }
    return { status, ids: [], tokens: [], text: [], done: false, ...(error !== undefined ? { error } : {}) };
  }
  const ids: string[] = [];
  const tokens: number[][] = [];
  const text: string[] = [];
  let done = false;
  let error: string | undefined;
  for (const event of body.split("\n\n")) {
    if (!event.startsWith("data: ")) continue;
    const data = event.slice("data: ".length);
    if (data === "[DONE]") {
      done = true;
      continue;
    }
    let chunk: Chunk;
    try {
      chunk = JSON.parse(data) as Chunk;
    } catch {
      error ??= "unparseable event";
      continue;
    }
    if (chunk.error) {
      error ??= chunk.error.code ?? chunk.error.message ?? "error event";
      continue;
    }
    if (chunk.id !== undefined && !ids.includes(chunk.id)) ids.push(chunk.id);
    for (const choice of chunk.choices ?? []) {
      tokens[choice.index] ??= [];
      text[choice.index] ??= "";
      tokens[choice.index]!.push(...(choice.telemetry ?? []).map((t) => t.token_id));
      text[choice.index] += choice.text ?? choice.delta?.content ?? "";
    }
  }
  return { status, ids, tokens: Array.from(tokens, (t) => t ?? []), text: Array.from(text, (t) => t ?? ""), done, ...(error !== undefined ? { error } : {}) };
}

export type StreamVerdict = { readonly kind: "ok" } | { readonly kind: "lost" | "mixed" | "rejected"; readonly why: string };

/**
 * Judge a stream that ran concurrently against its replay alone (`solo`). `rejected` is a 429:
 * the server turned the request away, which the suite reports apart from a stream it lost.
 * @param rows the choices the request asked for (its n)
 */
export function compareStreams(concurrent: StreamOutcome, solo: StreamOutcome, rows: number): StreamVerdict {
  if (concurrent.status === 429) return { kind: "rejected", why: "429 while running concurrently" };
  if (solo.status !== 200 || solo.error !== undefined || !solo.done) return { kind: "lost", why: `the replay alone failed: ${solo.error ?? "no [DONE]"}` };
  if (concurrent.status !== 200) return { kind: "lost", why: `status ${concurrent.status}${concurrent.error ? ` (${concurrent.error})` : ""}` };
  if (concurrent.ids.length > 1) return { kind: "mixed", why: `chunks of ${concurrent.ids.length} completions in one stream` };
  if (concurrent.tokens.length > rows) return { kind: "mixed", why: `choice ${concurrent.tokens.length - 1} in a stream of n = ${rows}` };
  for (let row = 0; row < rows; row++) {
    const got = concurrent.tokens[row] ?? [];
    const want = solo.tokens[row] ?? [];
    const common = Math.min(got.length, want.length);
    const firstDiff = got.findIndex((t, i) => i < common && t !== want[i]);
    if (firstDiff >= 0) return { kind: "mixed", why: `row ${row} differs from its replay at token ${firstDiff}` };
    if (got.length < want.length) return { kind: "lost", why: `row ${row} has ${got.length} of ${want.length} tokens` };
    if (got.length > want.length) return { kind: "mixed", why: `row ${row} has ${got.length} tokens, its replay ${want.length}` };
    if ((concurrent.text[row] ?? "") !== (solo.text[row] ?? "")) return { kind: "mixed", why: `row ${row}'s text differs from its replay's with the same tokens` };
  }
  if (concurrent.error !== undefined) return { kind: "lost", why: `error event ${concurrent.error}` };
  if (!concurrent.done) return { kind: "lost", why: "no [DONE]" };
  return { kind: "ok" };
}

/** Counts over every stream of a run, with the reasons of the first few that were not ok. */
export interface StreamTally {
  readonly streams: number;
  readonly ok: number;
  readonly lost: number;
  readonly mixed: number;
  readonly rejected: number;
  /** `#i: why` for the first streams that were not ok. */
  readonly examples: readonly string[];
}

/** Tally verdicts; `examples` keeps up to `keep` of the failures, labelled by stream index. */
export function tallyStreams(verdicts: readonly StreamVerdict[], keep = 5): StreamTally {
  const count = (kind: StreamVerdict["kind"]) => verdicts.filter((v) => v.kind === kind).length;
  const examples = verdicts.flatMap((v, i) => (v.kind === "ok" ? [] : [`#${i} ${v.kind}: ${v.why}`])).slice(0, keep);
  return { streams: verdicts.length, ok: count("ok"), lost: count("lost"), mixed: count("mixed"), rejected: count("rejected"), examples };
}
