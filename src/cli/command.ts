/**
 * The frame every CLI entry runs in: parse the command line against the command's table, print
 * --help, and turn failures into one line on stderr and an exit code — 2 for a bad flag or value
 * (a UsageError, wherever it is thrown), 1 for anything that fails during the run. `DEBUG=1`
 * adds the stack.
 */
import { type CommandSpec, type OptionTable, parseCommandLine, UsageError, usageText, type Values } from "./args.js";
import { rerunWithMallocSettings } from "./malloc-env.js";

export interface CommandIo {
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  stdout(text: string): void;
  stderr(text: string): void;
}

const processIo: CommandIo = {
  argv: process.argv.slice(2),
  env: process.env,
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
};

export interface RunCommandOptions {
  /** Re-run under the glibc malloc settings of malloc-env.ts once the command line has parsed. */
  readonly malloc?: boolean;
  readonly io?: CommandIo;
}

/**
 * Run `main` with the parsed values and return the exit code (also set as `process.exitCode`):
 * `main`'s own number, else 0; 2 for a usage error; 1 for any other error.
 */
export async function runCommand<T extends OptionTable>(spec: CommandSpec<T>, main: (values: Values<T>) => Promise<unknown>, options: RunCommandOptions = {}): Promise<number> {
  const io = options.io ?? processIo;
  const code = await exitCodeOf(spec, main, options.malloc === true, io);
  if (io === processIo) process.exitCode = code;
  return code;
}

async function exitCodeOf<T extends OptionTable>(spec: CommandSpec<T>, main: (values: Values<T>) => Promise<unknown>, malloc: boolean, io: CommandIo): Promise<number> {
  try {
    const line = parseCommandLine(spec, io.argv);
    if (line.help) {
      io.stdout(usageText(spec));
      return 0;
    }
    if (malloc) rerunWithMallocSettings();
    const code = await main(line.values);
    return typeof code === "number" ? code : 0;
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    io.stderr(`${spec.name}: ${message.split("\n")[0]}\n`);
    if (io.env["DEBUG"] && e instanceof Error && e.stack) io.stderr(`${e.stack}\n`);
    return e instanceof UsageError ? 2 : 1;
  }
}
