/** Reading a directory's schedule files: through the schema, by target, provenance kept, a bad file named. */
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readScheduleDir } from "../src/cli/schedule-files.js";

const SHIPPED = join("schedules", "7bb613a7ac5a76a5");

describe("readScheduleDir", () => {
  it("reads the shipped schedules by ascending target, with their run provenance, and skips the calibration", async () => {
    const items = await readScheduleDir(SHIPPED);
    expect(items.map((s) => s.file.target)).toEqual([3.5, 4.25, 5, 5.75, 6.5]);
    expect(items.every((s) => s.file.kind === "schedule" && s.run !== undefined)).toBe(true);
    expect(items[0]!.path).toBe(join(SHIPPED, "target-3.5.json"));
  });

  it("gives none for a directory that does not exist", async () => {
    expect(await readScheduleDir(join(tmpdir(), "no-such-isentropic-dir"))).toEqual([]);
  });

  it("names the file and the field of a bad schedule", async () => {
    const dir = await mkdtemp(join(tmpdir(), "isentropic-schedules-"));
    const json = JSON.parse(await readFile(join(SHIPPED, "target-5.json"), "utf8")) as { temperatures: number[] };
    json.temperatures[0] = -1;
    await writeFile(join(dir, "target-5.json"), JSON.stringify(json));
    await expect(readScheduleDir(dir)).rejects.toThrow(`${join(dir, "target-5.json")}: schedule file: temperatures.0: `);
  });
});
