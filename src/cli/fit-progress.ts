/**
 * Progress bar for `npm run fit` on stderr: rollouts done of planned, tokens/s and ETA.
 *
 * A step's cost grows with the KV-cache length (every step re-reads and copies the whole cache),
 * so the ETA counts work as Σ (1 + length/256) per step rather than tokens, and a short episode
 * is not mistaken for as much work as a late step of a long one.
 */

/** Work of one decode step for a cache of `length` positions, in units of a step at length 0. */
export function stepWork(length: number): number {
  return 1 + length / 256;
}

/** Work of an episode of `tokens` steps after a prompt of `promptLength` tokens. */
export function episodeWork(promptLength: number, tokens: number): number {
  return tokens * stepWork(promptLength + tokens / 2);
}

export interface Progress {
  /** Start a phase, e.g. "target 3 sa", of `work` units and `rollouts` full-rollout equivalents. */
  begin(label: string, work: number, rollouts: number): void;
  /** Record one step: `rowTokens` tokens (rows × 1) and `work` units. */
  advance(rowTokens: number, work: number): void;
  /** Close the phase: the bar is replaced by a one-line summary, returned as well. */
  end(note?: string): string;
}

const clock = (s: number): string => (s >= 60 ? `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, "0")}s` : `${s.toFixed(0)}s`);

/** Where the bar goes: stderr, or anything with `write` (a terminal when `isTTY`). */
export interface ProgressStream {
  readonly isTTY?: boolean;
  readonly columns?: number;
  write(text: string): unknown;
}

/**
 * A bar that redraws at most 5 times a second on a terminal, or writes a line every 15 s to a
 * log; `rolloutTokens` = B × N, one full rollout.
 */
export function createProgress(stream: ProgressStream, rolloutTokens: number): Progress {
  let label = "";
  let total = 1;
  let planned = 0;
  let done = 0;
  let tokens = 0;
  let started = 0;
  let drawn = 0;
  const draw = (force: boolean): void => {
    const now = performance.now();
    if (!force && now - drawn < (stream.isTTY ? 200 : 15_000)) return;
    drawn = now;
    const seconds = (now - started) / 1000;
    const fraction = Math.min(1, done / total);
    const width = 24;
    const filled = Math.round(fraction * width);
    const eta = fraction > 0 ? clock((seconds * (1 - fraction)) / fraction) : "?";
    const line = `${label} [${"#".repeat(filled)}${".".repeat(width - filled)}] ${(tokens / rolloutTokens).toFixed(1)}/${planned.toFixed(1)} rollouts · ${(tokens / Math.max(seconds, 1e-3)).toFixed(0)} tok/s · ETA ${eta}`;
    stream.write(stream.isTTY ? `\r${line.slice(0, (stream.columns ?? 120) - 1)}\x1b[K` : `${line}\n`);
  };
  return {
    begin(l, work, rollouts) {
      label = l;
      total = Math.max(work, 1e-9);
      planned = rollouts;
      done = 0;
      tokens = 0;
      started = performance.now();
      drawn = 0;
      draw(true);
    },
    advance(rowTokens, work) {
      tokens += rowTokens;
      done += work;
      draw(false);
    },
    end(note = "") {
      const seconds = (performance.now() - started) / 1000;
      const summary = `${label}: ${(tokens / rolloutTokens).toFixed(2)} rollouts in ${clock(seconds)} (${(tokens / Math.max(seconds, 1e-3)).toFixed(0)} tok/s)${note ? ` ${note}` : ""}`;
      stream.write(`${stream.isTTY ? "\r\x1b[K" : ""}${summary}\n`);
      return summary;
    },
  };
}
