/**
 * `npm run stress` — the reliability suite, over loopback against the Worker in workerd and the
 * Node server: concurrent streams against their replays alone, generated malformed requests,
 * streams dropped by the client, a soak, and the peak memory of request shapes. Prints the
 * figures and writes docs/reliability.md; exits 1 when a check fails. Options in
 * stress-options.ts (`--help` lists them), the run in stress-command.ts.
 *
 *   npm run stress                      full run (about 10 minutes on 2 cores), writes docs/reliability.md
 *   npm run stress -- --quick           small sizes, prints only (unless --out is given)
 *   npm run stress -- --skip workerd
 */
import { runCommand } from "./command.js";
import { STRESS_COMMAND } from "./stress-options.js";

// wrangler and the servers load only once the command line has parsed, so --help and a bad flag answer at once.
await runCommand(STRESS_COMMAND, async (values) => {
  const { runStress } = await import("./stress-command.js");
  return runStress(values, process.argv.slice(2));
});
