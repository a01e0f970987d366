/**
 * The README tells the truth: each example's `→` lines are checked against the response the app
 * gives to the example's request (the shipped model and schedules, as `npm start` serves them),
 * every variable either server reads is in its table, and the two servers' default ports differ.
 */
import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { loadCatalogFromDisk } from "../src/cli/catalog-disk.js";
import { createNodeApp } from "../src/node-app.js";
import { NODE_DEFAULT_PORT, nodeServerOptions } from "../src/node-server-options.js";
import { nodeModel, post, sseData, testApp } from "./helpers/http.js";

const README = readFileSync("README.md", "utf8");

/** Stands for `…` where the README leaves a value out. */
const ANY = "\u0000any";
/** Prefixes a number's text as printed, so that it is compared to the digits shown. */
const NUMBER = "\u0000number:";

/**
 * A documented value: JSON in which a bare `…` is any value, a string ending in `…` is a prefix,
 * and a number is kept as printed.
 */
function parseDocumented(text: string): unknown {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '"') {
      const end = text.indexOf('"', i + 1);
      let close = end;
      while (text[close - 1] === "\\") close = text.indexOf('"', close + 1);
      out += text.slice(i, close + 1);
      i = close;
    } else if (ch === "…") out += JSON.stringify(ANY);
    else if (/[-\d]/.test(ch)) {
      const number = /^-?\d+(\.\d+)?([eE][-+]?\d+)?/.exec(text.slice(i))![0];
      out += JSON.stringify(NUMBER + number);
      i += number.length - 1;
    } else out += ch;
  }
  return JSON.parse(out);
}

/** Where `actual` differs from the documented value, as a list of paths and reasons. */
function mismatches(doc: unknown, actual: unknown, path = ""): string[] {
  if (doc === ANY) return [];
  if (Array.isArray(doc) && doc.length === 1 && doc[0] === ANY) return Array.isArray(actual) ? [] : [`${path}: expected an array, got ${JSON.stringify(actual)}`];
  if (typeof doc === "string" && doc.startsWith(NUMBER)) {
    const printed = doc.slice(NUMBER.length);
    const decimals = printed.split(".")[1]?.length ?? 0;
    const ok = typeof actual === "number" && (decimals === 0 ? actual === Number(printed) : Math.abs(actual - Number(printed)) <= 0.5 * 10 ** -decimals + 1e-12);
    return ok ? [] : [`${path}: documented ${printed}, got ${JSON.stringify(actual)}`];
  }
  if (typeof doc === "string" && doc.endsWith("…")) {
    return typeof actual === "string" && actual.startsWith(doc.slice(0, -1)) ? [] : [`${path}: documented ${JSON.stringify(doc)}, got ${JSON.stringify(actual)}`];
  }
  if (Array.isArray(doc)) {
    if (!Array.isArray(actual) || actual.length !== doc.length) return [`${path}: documented ${doc.length} items, got ${JSON.stringify(actual)}`];
    return doc.flatMap((d, i) => mismatches(d, actual[i], `${path}[${i}]`));
  }
  if (doc !== null && typeof doc === "object") {
    if (actual === null || typeof actual !== "object" || Array.isArray(actual)) return [`${path}: expected an object, got ${JSON.stringify(actual)}`];
    const docKeys = Object.keys(doc);
    const keys = Object.keys(actual);
    if (docKeys.join() !== keys.join()) return [`${path || "."}: documented keys ${docKeys.join(", ")}; the response has ${keys.join(", ")}`];
    return docKeys.flatMap((k) => mismatches((doc as Record<string, unknown>)[k], (actual as Record<string, unknown>)[k], `${path}.${k}`));
  }
  return doc === actual ? [] : [`${path}: documented ${JSON.stringify(doc)}, got ${JSON.stringify(actual)}`];
}

/** `choices[0].telemetry[-1]` of `root`: names and indices, negative from the end. */
function select(root: unknown, selector: string): unknown {
  if (selector === ".") return root;
  let at = root;
  for (const [, name, index] of selector.matchAll(/([a-z_]+)|\[(-?\d+)\]/g)) {
    if (name !== undefined) at = (at as Record<string, unknown> | undefined)?.[name];
    else {
      const items = at as unknown[];
      const i = Number(index);
      at = items?.[i < 0 ? items.length + i : i];
    }
  }
  return at;
}

interface Example {
  readonly path: string;
  readonly body: unknown;
  readonly status: number;
  readonly lines: readonly { selector: string; value: string }[];
}

/** Every curl in the README's shell blocks that is followed by `→` lines. */
function examples(readme: string): Example[] {
  const found: Example[] = [];
  for (const [, block] of readme.matchAll(/```sh\n([\s\S]*?)```/g)) {
    for (const [, command, output] of block!.matchAll(/(curl [\s\S]*?'\n)((?:# [→ ] .*\n)+)/g)) {
      const path = /localhost:8787(\/\S+)/.exec(command!)![1]!;
      const body = JSON.parse(/-d '([\s\S]*?)'/.exec(command!)![1]!);
      let status = 200;
      const lines = output!
        .trimEnd()
        .split("\n")
        .map((line) => {
          const m = /^# [→ ] +(?:(\d{3}) )?(\S+) (.*)$/.exec(line)!;
          if (m[1]) status = Number(m[1]);
          // "400 {…}": the status, then the whole body
          return m[1] ? { selector: ".", value: `${m[2]} ${m[3]}` } : { selector: m[2]!, value: m[3]! };
        });
      found.push({ path, body, status, lines });
    }
  }
  return found;
}

describe("README examples are real output", async () => {
  const model = await nodeModel();
  const app = await testApp({ model, catalog: await loadCatalogFromDisk("schedules", model.id) });
  const documented = examples(README);

  test("the README has its examples", () => {
    expect(documented.map((e) => e.path)).toEqual(["/v1/completions", "/v1/completions", "/v1/chat/completions"]);
  });

  test.each(documented.map((e) => [`${e.path} ${JSON.stringify(e.body).slice(0, 60)}`, e] as const))("%s", async (_, example) => {
    const res = await post(app, example.path, example.body);
    expect(res.status).toBe(example.status);
    const root = (example.body as { stream?: boolean }).stream ? { data: await sseData(res) } : await res.json();
    for (const { selector, value } of example.lines) {
      expect(mismatches(parseDocumented(value), select(root, selector)), `${selector} ${value}`).toEqual([]);
    }
  });

  test("a documented value that differs from the response fails", () => {
    const telemetry = { token_id: 12, text: ",", temperature: 1, entropy: 2.24859881401062, logprob: -0.5 };
    const doc = parseDocumented('{"token_id":12,"text":",","temperature":1,"entropy":2.2486,"logprob":…}');
    expect(mismatches(doc, telemetry)).toEqual([]);
    expect(mismatches(doc, { ...telemetry, marginal_entropy: 2.2 })).toHaveLength(1);
    expect(mismatches(doc, { ...telemetry, entropy: 2.2487 })).toHaveLength(1);
    expect(mismatches(doc, { ...telemetry, temperature: 1.19 })).toHaveLength(1);
    expect(mismatches(parseDocumented('"cmpl-…"'), "chatcmpl-1")).toHaveLength(1);
  });
});

describe("the servers' variables and ports", () => {
  /** Backticked names in the first column of the README's variable table. */
  const table = README.slice(README.indexOf("| variable | read by |"));
  const documented = new Set(
    table
      .slice(0, table.indexOf("\n\n"))
      .split("\n")
      .slice(2)
      .flatMap((row) => [...row.split("|")[1]!.matchAll(/`([A-Z_]+)`/g)].map((m) => m[1]!)),
  );

  test("every variable either server reads is in the README's table, and nothing else", () => {
    const read = new Set<string>();
    const env = new Proxy({} as Record<string, string | undefined>, {
      get: (_, name) => {
        if (typeof name === "string") read.add(name);
        return undefined;
      },
    });
    nodeServerOptions(env);
    createNodeApp(".assets", env);
    // The Worker's env, as src/index.ts declares it (ASSETS is a binding, not a variable).
    const worker = [...readFileSync("src/index.ts", "utf8").matchAll(/readonly ([A-Z_]+)\??:/g)].map((m) => m[1]!).filter((n) => n !== "ASSETS");
    const vars = [
      ...readFileSync("wrangler.toml", "utf8")
        .split("[vars]")[1]!
        .matchAll(/^([A-Z_]+) =/gm),
    ].map((m) => m[1]!);
    expect(worker).toEqual(expect.arrayContaining(vars));
    for (const name of worker) read.add(name);
    expect([...read].sort()).toEqual([...documented].sort());
  });

  test("npm start and npm run start:node listen on different ports, the ones the README gives", () => {
    const scripts = JSON.parse(readFileSync("package.json", "utf8")).scripts as Record<string, string>;
    const workerPort = Number(/--port (\d+)/.exec(scripts["start"]!)![1]);
    expect(scripts["start:node"]).toMatch(/tsx src\/node-server\.ts$/);
    expect(nodeServerOptions({}).port).toBe(NODE_DEFAULT_PORT);
    expect(NODE_DEFAULT_PORT).not.toBe(workerPort);
    expect(README).toContain(`npm start     # serves the bundled model at http://127.0.0.1:${workerPort}`);
    expect(README).toContain(`npm run start:node           # the same app on Node and onnxruntime-node at http://127.0.0.1:${NODE_DEFAULT_PORT}`);
    expect(nodeServerOptions({ PORT: "9000", HOST: "0.0.0.0" })).toMatchObject({ port: 9000, hostname: "0.0.0.0" });
    expect(() => nodeServerOptions({ PORT: "http" })).toThrow(/PORT must be an integer/);
  });
});
