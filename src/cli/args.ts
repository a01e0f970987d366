/** Command-line option parsing shared by the Node CLIs: values checked where they are read, errors naming the flag. */

/** `--name` as an integer >= `min`. */
export function intArg(name: string, s: string | undefined, min = 1): number {
  const v = Number(s);
  if (!Number.isInteger(v) || v < min) throw new RangeError(`--${name} must be an integer >= ${min}, got ${s}`);
  return v;
}

/** `--name` as a non-empty comma-separated list of positive numbers. */
export function listArg(name: string, s: string | undefined): number[] {
  const v = (s ?? "").split(",").filter((x) => x.trim() !== "").map(Number);
  if (v.length === 0 || !v.every((x) => Number.isFinite(x) && x > 0)) throw new RangeError(`--${name} must be a comma-separated list of positive numbers, got ${s}`);
  return v;
}
