/**
 * A long eval's finished episodes on disk, so that a run stopped part-way (the session's end, a
 * lost machine, the OOM killer) continues where it stopped with `--resume` instead of starting
 * over: 10 prompts × 1000 tokens take over two hours on 2 cores, and results.json is written
 * only at the end. Node only.
 *
 * `<out>/.partial/` holds run.json (what the run is: every option that decides a number, the
 * commit, the command as first typed, Mirostat's τ grid once tuned, the arms' labels and the
 * seconds spent so far) and one binary record per finished episode. A finished run removes it.
 */
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { TauPoint } from "./eval-arms.js";
import type { EvalOptions } from "./eval-options.js";
import type { EpisodeRecord } from "./eval-results.js";

export const PARTIAL_DIR = ".partial";
const FORMAT = 1;

/** The options that decide an eval's numbers (not where it writes, how it was typed, or how many sessions share the work). */
function runKey(o: EvalOptions): Record<string, unknown> {
  const { model, dtype, schedules, prompts, targets, tokens, full, short, shortTokens, seed, modes, taus, tuningTokens } = o;
  return { model, dtype, schedules, prompts, targets, tokens, full, short, shortTokens, seed, modes, taus, tuningTokens };
}

interface RunFile {
  format: number;
  key: Record<string, unknown>;
  commit: string;
  command: string;
  seconds: number;
  grid?: TauPoint[];
  arms?: string[];
}

/** One finished episode's record and the controller's milliseconds in it, as bytes: a Float64 header [format, tokens, rows, ms], the four per-position series, then the rows' ids. */
export function encodeRecord(record: EpisodeRecord, ms: number): Uint8Array {
  const tokens = record.marginal.length;
  const rows = record.ids.length;
  const floats = new Float64Array(4 + 4 * tokens);
  floats.set([FORMAT, tokens, rows, ms]);
  for (const [i, s] of [record.marginal, record.conditional, record.temperature, record.variance].entries()) floats.set(s, 4 + i * tokens);
  const ids = new Int32Array(rows * tokens);
  for (const [b, r] of record.ids.entries()) ids.set(r, b * tokens);
  const out = new Uint8Array(floats.byteLength + ids.byteLength);
  out.set(new Uint8Array(floats.buffer), 0);
  out.set(new Uint8Array(ids.buffer), floats.byteLength);
  return out;
}

/** The inverse of encodeRecord; throws on bytes of another format or length. */
export function decodeRecord(bytes: Uint8Array): { record: EpisodeRecord; ms: number } {
  const copy = new Uint8Array(bytes); // aligned, and detached from a Buffer's shared pool
  const head = new Float64Array(copy.buffer, 0, 4);
  const [format, tokens, rows, ms] = head as unknown as [number, number, number, number];
  const floatBytes = 8 * (4 + 4 * tokens);
  if (format !== FORMAT || copy.byteLength !== floatBytes + 4 * rows * tokens) throw new Error(`not an episode record of format ${FORMAT} (${copy.byteLength} bytes)`);
  const series = (i: number) => new Float64Array(copy.buffer, 8 * (4 + i * tokens), tokens);
  const ids = new Int32Array(copy.buffer, floatBytes, rows * tokens);
  return {
    record: {
      marginal: series(0),
      conditional: series(1),
      temperature: series(2),
      variance: series(3),
      ids: Array.from({ length: rows }, (_, b) => ids.subarray(b * tokens, (b + 1) * tokens)),
    },
    ms,
  };
}

export interface Checkpoint {
  /** The commit whose code made the episodes: the first run's (a resumed run checks that its code is the same). */
  readonly commit: string;
  /** The command as first typed (a resumed run reproduces with it, without `--resume`). */
  readonly command: string;
  /** Seconds the run spent before this process, and so far in it. */
  seconds(): number;
  /** The τ grid of the stopped run, when it got that far. */
  readonly grid: TauPoint[] | undefined;
  saveGrid(grid: TauPoint[]): Promise<void>;
  /** Records the arms' labels; refuses a resumed run whose arms differ. */
  checkArms(labels: readonly string[]): Promise<void>;
  /** A finished episode of arm `arm`, episode `episode` of the plan, if the stopped run saved it. */
  load(arm: number, episode: number): Promise<{ record: EpisodeRecord; ms: number } | undefined>;
  save(arm: number, episode: number, record: EpisodeRecord, ms: number): Promise<void>;
  /** How many episodes the stopped run had saved. */
  readonly resumed: number;
  /** The run finished: its episodes are in results.json now. */
  remove(): Promise<void>;
}

const fileOf = (arm: number, episode: number): string => `arm${arm}-episode${episode}.bin`;

/** Writes `bytes` so that a reader never sees half a file, even when the process dies mid-write. */
async function writeWhole(path: string, bytes: string | Uint8Array): Promise<void> {
  await writeFile(`${path}.tmp`, bytes);
  await rename(`${path}.tmp`, path);
}

/**
 * The checkpoint of a run of `o` at `commit` in `o.out`. Without `o.resume` there must be none
 * already (a stopped run's hours are not overwritten unasked); with it, the stopped run must have
 * had the same numbers-deciding options and run a clean commit whose episode-making files
 * `changedSince` finds unchanged here (prose and tests may have moved on; code, model files and
 * fits may not). Errors say which and what to do.
 */
export async function openCheckpoint(o: EvalOptions, commit: string, changedSince: (commit: string) => Promise<string[] | undefined>): Promise<Checkpoint> {
  const dir = join(o.out, PARTIAL_DIR);
  const runPath = join(dir, "run.json");
  const started = performance.now();
  const existing = await readFile(runPath, "utf8").then(
    (text) => JSON.parse(text) as RunFile,
    () => undefined,
  );
  let run: RunFile;
  if (!o.resume) {
    if (existing) throw new Error(`${dir}/ holds a stopped run (${existing.command}, commit ${existing.commit}): add --resume to continue it, or delete the directory to start over`);
    run = { format: FORMAT, key: runKey(o), commit, command: o.command, seconds: 0 };
    await mkdir(dir, { recursive: true });
    await writeWhole(runPath, JSON.stringify(run));
  } else {
    if (!existing) throw new Error(`--resume: there is no stopped run in ${dir}/`);
    if (JSON.stringify(existing.key) !== JSON.stringify(runKey(o))) {
      throw new Error(`--resume: the stopped run in ${dir}/ had other options (${existing.command}); resume it with the same ones`);
    }
    if (/uncommitted/.test(existing.commit))
      throw new Error(`--resume: the stopped run in ${dir}/ ran with uncommitted changes, so which code made its episodes is unknown; delete the directory to start over`);
    const changed = commit === existing.commit ? [] : await changedSince(existing.commit);
    if (changed === undefined || changed.length > 0) {
      const which = changed === undefined ? "git cannot compare them" : `${changed.slice(0, 5).join(", ")}${changed.length > 5 ? ", …" : ""} changed`;
      throw new Error(
        `--resume: the stopped run ran commit ${existing.commit} and this tree is ${commit} (${which}); its episodes would mix code (check out ${existing.commit}, or delete ${dir}/ to start over)`,
      );
    }
    run = existing;
  }
  const before = run.seconds;
  const seconds = (): number => before + (performance.now() - started) / 1000;
  const saved = new Set((await readdir(dir)).filter((n) => n.endsWith(".bin")));
  // One write at a time: two sessions can end episodes together, and two renames of one
  // run.json.tmp race (the second finds it gone: ENOENT killed a 22-minute run at its last episode).
  let queue: Promise<void> = Promise.resolve();
  const serially = (write: () => Promise<void>): Promise<void> => {
    queue = queue.catch(() => undefined).then(write);
    return queue;
  };
  const persist = (): Promise<void> =>
    serially(() => {
      run.seconds = Math.round(seconds());
      return writeWhole(runPath, JSON.stringify(run));
    });
  return {
    commit: run.commit,
    command: run.command,
    seconds,
    grid: run.grid,
    resumed: saved.size,
    async saveGrid(grid) {
      run.grid = grid;
      await persist();
    },
    async checkArms(labels) {
      if (run.arms && JSON.stringify(run.arms) !== JSON.stringify(labels)) {
        throw new Error(`--resume: the stopped run's arms were ${run.arms.join(", ")} and this run's are ${labels.join(", ")}`);
      }
      run.arms = [...labels];
      await persist();
    },
    async load(arm, episode) {
      const name = fileOf(arm, episode);
      return saved.has(name) ? decodeRecord(await readFile(join(dir, name))) : undefined;
    },
    async save(arm, episode, record, ms) {
      await serially(() => writeWhole(join(dir, fileOf(arm, episode)), encodeRecord(record, ms)));
      await persist();
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
