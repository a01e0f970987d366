/**
 * `npm run eval` — every decoding mode on the same held-out prompts and seeds, B = 30
 * continuations × N = 1000 tokens, at several targets: how well each holds marginal entropy per
 * window, what it does to repetition and cross-sample similarity, and what its controller costs.
 * Options in eval-options.ts (`--help` lists them), the arms in eval-arms.ts, the work in
 * eval-command.ts. Node only (onnxruntime-node).
 *
 *   npm run eval -- [--model models/kjv-gpt2-4m] [--targets 3.5,5,6.5] [--full 2] [--short 8]
 *   npm run eval -- --render-only     (README.md again from results.json, after a change of prose)
 */
import { loadCatalogFromDisk } from "./catalog-disk.js";
import { runCommand } from "./command.js";
import { codeChangedSince, describeRun, runEval } from "./eval-command.js";
import { EVAL_COMMAND, evalOptions } from "./eval-options.js";

// onnxruntime loads only once the command line has parsed, so --help and a bad flag answer at once.
await runCommand(
  EVAL_COMMAND,
  async (values) => {
    const options = evalOptions(values, process.argv.slice(2));
    const { loadNodeModel } = await import("../model/backend-node.js");
    await runEval(options, {
      loadModel: (dir) => loadNodeModel(dir, 1, options.dtype),
      loadCatalog: loadCatalogFromDisk,
      describeRun,
      codeChangedSince,
      stdout: (text) => void process.stdout.write(text),
      stderr: process.stderr,
    });
  },
  { malloc: true },
);
