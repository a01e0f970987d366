/**
 * Measurement — one ratio the benchmark reports: two interleaved arms, their values per round,
 * and the spread of the per-round ratio A / B.
 */
import { ratioOfPairs, type Spread, spreadOf } from "./bench-stats.js";

export interface Arm {
  /** What ran, e.g. "isentropic generate()". */
  readonly label: string;
  readonly values: Spread;
}

export interface Measurement {
  /** Stable name a band refers to, e.g. "loop.exact". */
  readonly key: string;
  /** Section of the report, e.g. "loop overhead". */
  readonly group: string;
  /** What the ratio means, e.g. "decode loop / raw ORT, exact, n = 1". */
  readonly what: string;
  /** Unit of both arms' values, e.g. "ms", "tokens/s", "ns/element". */
  readonly unit: string;
  readonly a: Arm;
  readonly b: Arm;
  /** Spread of a_i / b_i over the rounds. */
  readonly ratio: Spread;
}

/** A measurement from the per-round values of its two arms. */
export function measure(head: Pick<Measurement, "key" | "group" | "what" | "unit">, a: { label: string; values: readonly number[] }, b: { label: string; values: readonly number[] }): Measurement {
  return {
    ...head,
    a: { label: a.label, values: spreadOf(a.values) },
    b: { label: b.label, values: spreadOf(b.values) },
    ratio: ratioOfPairs(a.values, b.values),
  };
}

/** A single-shot value that has no interleaved partner (cold start, memory). */
export interface Fact {
  readonly key: string;
  readonly group: string;
  readonly what: string;
  readonly value: number;
  readonly unit: string;
}
