/**
 * `npm run bench` — ratios measured in one run, interleaved to cancel machine drift: the decode
 * loop against bare onnxruntime steps per mode, isentropic against transformers.js, controller
 * cost against a model step, the proxy statistic against exact entropy, batch scaling, and the
 * Worker in workerd against the engine in Node. Prints the tables and writes docs/bench.md.
 * Options in bench-options.ts (`--help` lists them), the work in bench-command.ts.
 *
 *   npm run bench                      full run (3–5 minutes on 2 cores), writes docs/bench.md
 *   npm run bench -- --quick           fewer rounds, prints only (unless --out is given)
 *   npm run bench -- --check           exits 1 when a ratio is outside the bands the README promises
 *   npm run bench -- --skip workerd,transformers
 */
import { BENCH_COMMAND } from "./bench-options.js";
import { runCommand } from "./command.js";

// onnxruntime loads only once the command line has parsed, so --help and a bad flag answer at once.
await runCommand(BENCH_COMMAND, async (values) => {
  const { runBench } = await import("./bench-command.js");
  return runBench(values, process.argv.slice(2));
});
