/**
 * `npm run generate` — generate from the command line on onnxruntime-node and print the text and
 * a compact telemetry summary. Options in generate-options.ts (`--help` lists them), the work in
 * generate-command.ts.
 *
 *   npm run generate -- --prompt "And it came to pass" --mode exact --target 3 --n 4 --seed 7 --tokens 200
 */
import { loadCatalogFromDisk } from "./catalog-disk.js";
import { runCommand } from "./command.js";
import { runGenerate } from "./generate-command.js";
import { GENERATE_COMMAND } from "./generate-options.js";

// onnxruntime loads only once the command line has parsed, so --help and a bad flag answer at once.
await runCommand(GENERATE_COMMAND, async (values) => {
  const { loadNodeModel } = await import("../model/backend-node.js");
  await runGenerate(values, {
    loadModel: (dir) => loadNodeModel(dir),
    loadCatalog: loadCatalogFromDisk,
    stdout: (line) => console.log(line),
    stderr: (line) => console.error(line),
  });
});
