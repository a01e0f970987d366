/**
 * Command-line options shared by the Node CLIs: each command declares a table of options (type,
 * default, one-line description), read with `node:util` `parseArgs`; values are checked where
 * they are read, `--help` is rendered from the same table, and a bad flag or value throws a
 * UsageError naming the flag.
 */
import { parseArgs } from "node:util";

/** A bad flag or value on the command line; `option` is the flag it is about, without dashes. */
export class UsageError extends Error {
  override readonly name = "UsageError";
  constructor(
    readonly option: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

/** One option of a command: how it is typed, its default as typed, and how its value is read. */
export interface Option<T> {
  readonly type: "string" | "boolean";
  /** The default as it would be typed, shown by --help; absent when there is none. */
  readonly default?: string | boolean;
  readonly description: string;
  /** What --help shows after the flag, e.g. `N` or `LIST`. */
  readonly placeholder?: string;
  /** The value from the raw one (`undefined` when the flag is absent); throws a UsageError. */
  read(name: string, raw: string | boolean | undefined): T;
}

export type OptionTable = Readonly<Record<string, Option<unknown>>>;

/** The values a table reads to, one per option. */
export type Values<T extends OptionTable> = { -readonly [K in keyof T]: T[K] extends Option<infer V> ? V : never };

/** A command's surface: its name (`fit`), what it does, example lines and its options. */
export interface CommandSpec<T extends OptionTable> {
  readonly name: string;
  readonly summary: string;
  readonly examples?: readonly string[];
  readonly options: T;
}

const quoted = (raw: string | boolean | undefined): string => JSON.stringify(raw ?? "");

function stringOption<T>(def: string | undefined, description: string, placeholder: string, convert: (name: string, s: string) => T): Option<T | undefined> {
  return {
    type: "string",
    ...(def !== undefined ? { default: def } : {}),
    description,
    placeholder,
    read: (name, raw) => {
      const s = raw === undefined ? def : String(raw);
      return s === undefined ? undefined : convert(name, s);
    },
  };
}

/** A string, e.g. a path. */
export function text(def: string, description: string, placeholder?: string): Option<string>;
export function text(def: undefined, description: string, placeholder?: string): Option<string | undefined>;
export function text(def: string | undefined, description: string, placeholder = "TEXT"): Option<string | undefined> {
  return stringOption(def, description, placeholder, (_, s) => s);
}

/** An integer >= `min`. */
export function int(def: number, description: string, min?: number): Option<number>;
export function int(def: undefined, description: string, min?: number): Option<number | undefined>;
export function int(def: number | undefined, description: string, min = 1): Option<number | undefined> {
  return stringOption(def === undefined ? undefined : String(def), description, "N", (name, s) => intArg(name, s, min));
}

/** A finite number; `positive` also requires it to be > 0. */
export function num(def: number, description: string, positive?: boolean): Option<number>;
export function num(def: undefined, description: string, positive?: boolean): Option<number | undefined>;
export function num(def: number | undefined, description: string, positive = false): Option<number | undefined> {
  return stringOption(def === undefined ? undefined : String(def), description, "X", (name, s) => {
    const v = s.trim() === "" ? Number.NaN : Number(s);
    if (!Number.isFinite(v) || (positive && !(v > 0))) throw new UsageError(name, `--${name} must be a ${positive ? "positive " : ""}number, got ${quoted(s)}`);
    return v;
  });
}

/** A non-empty comma-separated list of positive numbers. */
export function list(def: string, description: string): Option<number[]>;
export function list(def: undefined, description: string): Option<number[] | undefined>;
export function list(def: string | undefined, description: string): Option<number[] | undefined> {
  return stringOption(def, description, "LIST", listArg);
}

/** One of `choices`. */
export function choice<const C extends string>(def: C, choices: readonly C[], description: string): Option<C> {
  const read = stringOption(def, description, choices.join("|"), (name, s) => {
    if (!(choices as readonly string[]).includes(s)) throw new UsageError(name, `--${name} must be one of ${choices.join(", ")}, got ${quoted(s)}`);
    return s as C;
  });
  return read as Option<C>;
}

/** A comma-separated list of names from `choices`; may be empty. */
export function names<const C extends string>(choices: readonly C[], description: string): Option<C[]> {
  const read = stringOption("", `${description} (of ${choices.join(", ")})`, "LIST", (name, s) => {
    const v = s
      .split(",")
      .map((x) => x.trim())
      .filter((x) => x !== "");
    const bad = v.find((x) => !(choices as readonly string[]).includes(x));
    if (bad !== undefined) throw new UsageError(name, `--${name} takes a comma-separated list of ${choices.join(", ")}, got ${quoted(bad)}`);
    return v as C[];
  });
  return read as Option<C[]>;
}

/** A switch; one that defaults to on is turned off with `--no-<name>`. */
export function flag(description: string, def = false): Option<boolean> {
  return { type: "boolean", default: def, description, read: (_, raw) => (raw === undefined ? def : raw === true) };
}

/** `--name` as an integer >= `min`. */
export function intArg(name: string, s: string | undefined, min = 1): number {
  const v = s === undefined || s.trim() === "" ? Number.NaN : Number(s);
  if (!Number.isInteger(v) || v < min) {
    const what = min === 1 ? "a positive integer" : min === 0 ? "a non-negative integer" : `an integer >= ${min}`;
    throw new UsageError(name, `--${name} must be ${what}, got ${quoted(s)}`);
  }
  return v;
}

/** `--name` as a non-empty comma-separated list of positive numbers. */
export function listArg(name: string, s: string | undefined): number[] {
  const v = (s ?? "")
    .split(",")
    .filter((x) => x.trim() !== "")
    .map(Number);
  if (v.length === 0 || !v.every((x) => Number.isFinite(x) && x > 0)) throw new UsageError(name, `--${name} must be a comma-separated list of positive numbers, got ${quoted(s)}`);
  return v;
}

/** What a command line asks for: the usage text, or a run with these values. */
export type CommandLine<T extends OptionTable> = { help: true } | { help: false; values: Values<T> };

/** Reads `argv` (without node and the script) against the command's table; throws a UsageError. */
export function parseCommandLine<T extends OptionTable>(spec: CommandSpec<T>, argv: readonly string[]): CommandLine<T> {
  const options: Record<string, { type: "string" | "boolean"; short?: string }> = { help: { type: "boolean", short: "h" } };
  for (const [name, o] of Object.entries(spec.options)) options[name] = { type: o.type };
  let parsed: Record<string, string | boolean | undefined>;
  try {
    parsed = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false, allowNegative: true }).values as typeof parsed;
  } catch (e) {
    throw usageErrorOf(e);
  }
  if (parsed["help"] === true) return { help: true };
  const values: Record<string, unknown> = {};
  for (const [name, o] of Object.entries(spec.options)) values[name] = o.read(name, parsed[name]);
  return { help: false, values: values as Values<T> };
}

/** parseArgs' errors as one line naming the flag. */
function usageErrorOf(e: unknown): UsageError {
  const code = (e as { code?: string }).code;
  const message = e instanceof Error ? e.message : String(e);
  const flagName = /'(-{1,2}[^' ]+)/.exec(message)?.[1];
  const option = flagName?.replace(/^-+/, "");
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") return new UsageError(option, `unknown option ${flagName} (see --help)`);
  if (code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") return new UsageError(undefined, `unexpected argument ${/'([^']*)'/.exec(message)?.[1] ?? ""} (options start with --; see --help)`);
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    return new UsageError(option, message.includes("argument missing") ? `${flagName} needs a value` : `${flagName} takes no value`);
  }
  return new UsageError(option, message.split("\n")[0]!);
}

/** The --help text: usage, summary, examples and every option with its default. */
export function usageText<T extends OptionTable>(spec: CommandSpec<T>): string {
  const rows = Object.entries(spec.options).map(([name, o]) => {
    const flagText = o.type === "boolean" ? (o.default === true ? `--[no-]${name}` : `--${name}`) : `--${name} ${o.placeholder ?? "VALUE"}`;
    const def = o.default === undefined || o.default === false || o.default === "" ? "" : ` (default: ${o.default === true ? "on" : o.default})`;
    return [flagText, `${o.description}${def}`] as const;
  });
  rows.push(["-h, --help", "print this help and exit"]);
  const width = Math.max(...rows.map(([f]) => f.length)) + 2;
  return [
    `Usage: npm run ${spec.name} -- [options]`,
    "",
    spec.summary,
    ...(spec.examples?.length ? ["", "Examples:", ...spec.examples.map((e) => `  ${e}`)] : []),
    "",
    "Options:",
    ...rows.map(([f, d]) => `  ${f.padEnd(width)}${d}`),
    "",
  ].join("\n");
}
