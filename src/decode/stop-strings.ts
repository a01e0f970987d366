/**
 * Stop strings — release generated text only once it can no longer become a stop sequence.
 *
 * A stop string may arrive split over several tokens, so text that could still be the start of
 * one is held back; when a stop string completes, the text before it is released and the row ends.
 */
export interface StopMatcher {
  /** Add text; returns what is safe to show and whether a stop string completed. */
  push(delta: string): { text: string; stopped: boolean };
  /** Release whatever is held back (the row ended for another reason). */
  flush(): string;
}

export function createStopMatcher(stops: readonly string[]): StopMatcher {
  const live = stops.filter((s) => s.length > 0);
  let pending = "";
  return {
    push(delta) {
      pending += delta;
      if (live.length === 0) {
        const text = pending;
        pending = "";
        return { text, stopped: false };
      }
      let first = -1;
      for (const s of live) {
        const i = pending.indexOf(s);
        if (i >= 0 && (first < 0 || i < first)) first = i;
      }
      if (first >= 0) {
        const text = pending.slice(0, first);
        pending = "";
        return { text, stopped: true };
      }
      let hold = 0;
      for (const s of live) {
        for (let k = Math.min(s.length - 1, pending.length); k > hold; k--) {
          if (pending.endsWith(s.slice(0, k))) {
            hold = k;
            break;
          }
        }
      }
      const text = pending.slice(0, pending.length - hold);
      pending = pending.slice(pending.length - hold);
      return { text, stopped: false };
    },
    flush() {
      const text = pending;
      pending = "";
      return text;
    },
  };
}
