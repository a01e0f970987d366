/**
 * Node server — `npm run start:node`: the API on http://127.0.0.1:8787 (PORT, HOST) over
 * onnxruntime-node, from the asset tree in ASSETS_DIR (default .assets/, which the script
 * builds first). Same variables and behaviour as the Worker.
 */
import { serve } from "@hono/node-server";
import { createNodeApp } from "./node-app.js";

const port = Number(process.env["PORT"] ?? 8787);
const hostname = process.env["HOST"] ?? "127.0.0.1";
const app = createNodeApp(process.env["ASSETS_DIR"] ?? ".assets", process.env);
serve({ fetch: app.fetch, port, hostname }, (info) => {
  console.log(`isentropic listening on http://${info.address}:${info.port}`);
});
