/**
 * The stress suite end to end on a small plan, against the app on onnxruntime-node served over a
 * real socket (so a client that drops a stream is seen): every scenario runs and every check
 * passes. `npm run stress` runs the full plan against workerd and the Node server.
 */
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { afterAll, describe, expect, test } from "vitest";
import { stressTarget } from "../src/cli/stress-command.js";
import { type StressPlan, varsOf } from "../src/cli/stress-options.js";
import { checksOf } from "../src/cli/stress-report.js";
import { parseShape } from "../src/cli/stress-scenarios.js";
import { limitsFromVars } from "../src/http/limits.js";
import { fixtureCatalog, nodeModel, testApp } from "./helpers/http.js";

const plan: StressPlan = { streams: 6, streamTokens: 6, malformed: 400, malformedSeed: 3, dropped: 3, soak: 12, soakTokens: 3, shapes: [parseShape("2*2x20")], idleMs: 1000 };
const vars = varsOf(plan);
const limits = limitsFromVars(vars);
const model = await nodeModel();
const app = await testApp({ model, catalog: fixtureCatalog(model), limits });
const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" });
await new Promise((resolve) => server.once("listening", resolve));
const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
afterAll(() => new Promise((resolve) => server.close(resolve)));

describe("the stress suite on a small plan", () => {
  test("every scenario runs against the Node app and every check passes", async () => {
    const run = await stressTarget({ name: "node", url, limits, dispose: async () => {} }, plan, vars, () => {});
    expect(checksOf(run, plan).filter((c) => !c.ok)).toEqual([]);
    expect(run.streams).toMatchObject({ streams: 6, ok: 6 });
    expect(run.malformed.requests).toBe(400);
    expect(run.malformed.statuses).toMatchObject({ 400: expect.any(Number), 404: expect.any(Number), 413: expect.any(Number) });
    // the Node server sees a client leave: the slots are back long before the idle limit
    expect(run.dropped.slotsBackMs).toBeLessThan(plan.idleMs);
    expect(run.shapes[0]!.statuses).toEqual([200, 200]);
  }, 120_000);
});
