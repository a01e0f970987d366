/**
 * Prompt sets — the text file of prompts a fit rolls out from, split into the prompts the fit
 * may use and those held out for the fresh evaluation written into every schedule file.
 *
 * One prompt per line; blank lines and lines starting with "#" are skipped, and the line
 * "# held-out" starts the held-out section. Held-out prompts never reach the fitting loop, so
 * the reported error is not the error on the prompts the schedule was tuned to.
 */

export interface PromptSet {
  fit: string[];
  heldout: string[];
}

export const HELD_OUT_MARKER = "# held-out";

/** Throws a RangeError when either section is empty. */
export function parsePrompts(text: string): PromptSet {
  const set: PromptSet = { fit: [], heldout: [] };
  let section: string[] = set.fit;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === HELD_OUT_MARKER) section = set.heldout;
    else if (line !== "" && !line.startsWith("#")) section.push(line);
  }
  if (set.fit.length === 0) throw new RangeError("the prompt file has no prompts to fit on");
  if (set.heldout.length === 0) throw new RangeError(`the prompt file has no held-out prompts (after a line "${HELD_OUT_MARKER}")`);
  return set;
}
