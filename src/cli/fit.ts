/**
 * `npm run fit` — fit temperature schedules and the proxy calibration of a model offline, and
 * write them where the Worker and the Node server load them (`schedules/<model-id>/`). The
 * options are in fit-options.ts (`npm run fit -- --help`), the work in fit-command.ts.
 *
 *   npm run fit -- --model models/kjv-gpt2-4m --targets 2,3,4,5 --batch 30 --tokens 1000 \
 *     --window 300 --prompts schedules/prompts.txt --seed 1 [--method sa|optimize]
 */
import { runCommand } from "./command.js";
import { FIT_COMMAND, fitOptions } from "./fit-options.js";

// onnxruntime loads only once the command line has parsed, so --help and a bad flag answer at once.
await runCommand(
  FIT_COMMAND,
  async (values) => {
    const options = fitOptions(values);
    const [{ loadNodeModel }, { runFit }] = await Promise.all([import("../model/backend-node.js"), import("./fit-command.js")]);
    await runFit(options, { loadModel: (dir) => loadNodeModel(dir, 1), stderr: process.stderr });
  },
  { malloc: true },
);
