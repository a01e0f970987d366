/** The fitted schedule files of one directory on disk, read through the shared schema (Node only). */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { type Provenance, parseSchedule, type ScheduleFile } from "../control/schedule-schema.js";

export interface ScheduleOnDisk {
  readonly path: string;
  readonly file: ScheduleFile;
  /** The fitter's `run` record, when the file has one. */
  readonly run?: Provenance;
}

/** Every `target-*.json` in `dir`, by ascending target; none when `dir` does not exist. Throws naming the file and field of a bad one. */
export async function readScheduleDir(dir: string): Promise<ScheduleOnDisk[]> {
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => /^target-.*\.json$/.test(n));
  const items = await Promise.all(
    names.map(async (name) => {
      const path = join(dir, name);
      const json = JSON.parse(await readFile(path, "utf8")) as { run?: Provenance };
      try {
        return { path, file: parseSchedule(json), ...(json.run ? { run: json.run } : {}) };
      } catch (e) {
        throw new Error(`${path}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }),
  );
  return items.sort((a, b) => a.file.target - b.file.target);
}
