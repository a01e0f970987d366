/**
 * Node server — `npm run start:node`: the API and the playground on http://127.0.0.1:8788 over
 * onnxruntime-node, beside `npm start`'s Worker on 8787. PORT, HOST and ASSETS_DIR say where
 * (src/node-server-options.ts); the app reads the same variables as the Worker (src/node-app.ts).
 */
import { serve } from "@hono/node-server";
import { createNodeApp } from "./node-app.js";
import { nodeServerOptions } from "./node-server-options.js";

const { port, hostname, assetsDir } = nodeServerOptions(process.env);
const app = createNodeApp(assetsDir, process.env);
serve({ fetch: app.fetch, port, hostname }, (info) => {
  console.log(`isentropic listening on http://${info.address}:${info.port}`);
});
