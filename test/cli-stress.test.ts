/**
 * The stress suite's pure parts: the malformed-request generator and its judge, the lost/mixed
 * verdict on a stream against its replay, the command line's plan, and the report's checks.
 * The suite itself runs against a server in stress.test.ts.
 */
import { describe, expect, it } from "vitest";
import { parseCommandLine } from "../src/cli/args.js";
import { FAULTS, judge, type MalformedCase, type MalformedContext, malformedRequests, namesField } from "../src/cli/stress-malformed.js";
import { planOf, STRESS_COMMAND, varsOf } from "../src/cli/stress-options.js";
import { checksOf, renderReliabilityDoc, type TargetRun } from "../src/cli/stress-report.js";
import { parseShape } from "../src/cli/stress-scenarios.js";
import { compareStreams, parseStream, type StreamOutcome, tallyStreams } from "../src/cli/stress-streams.js";
import { DEFAULT_LIMITS } from "../src/http/limits.js";
import { createRng } from "../src/sampling/rng.js";
import { validationCases } from "./helpers/validation-cases.js";

const ctx: MalformedContext = { model: "kjv-gpt2-4m", vocabSize: 4096, maxPositions: 1024, limits: DEFAULT_LIMITS, scheduleRange: [3.5, 6.5] };

describe("malformed requests", () => {
  const cases = malformedRequests(ctx, createRng(1), 5000);

  it("are reproducible from their seed", () => {
    expect(malformedRequests(ctx, createRng(1), 50)).toEqual(cases.slice(0, 50));
    expect(malformedRequests(ctx, createRng(2), 50)).not.toEqual(cases.slice(0, 50));
  });

  it("draw every fault the limits allow, on both endpoints", () => {
    expect(new Set(cases.map((c) => c.fault)).size).toBe(new Set(FAULTS.map((f) => f.name)).size);
    expect(new Set(cases.map((c) => c.endpoint))).toEqual(new Set(["/v1/completions", "/v1/chat/completions"]));
    // without fitted schedules there is no range to fall outside of
    const { scheduleRange: _, ...bare } = ctx;
    expect(malformedRequests(bare, createRng(1), 5000).some((c) => c.fault.includes("fitted schedules"))).toBe(false);
  });

  it("blame every field the validation tests blame", () => {
    const { completion, chat } = validationCases({ name: ctx.model, vocabSize: ctx.vocabSize, limits: ctx.limits });
    const blamed = new Set(cases.map((c) => c.param));
    for (const [label, , param] of [...completion, ...chat])
      expect(
        [...blamed].some((p) => namesField(param, p)),
        label,
      ).toBe(true);
  });

  it("are JSON objects but where the fault is the body itself", () => {
    for (const c of cases) {
      let body: unknown;
      try {
        body = JSON.parse(c.body);
      } catch {
        expect(c.param, c.fault).toBeNull();
        continue;
      }
      const isObject = typeof body === "object" && body !== null && !Array.isArray(body);
      expect(isObject || c.param === null, c.fault).toBe(true);
      if (c.status === 413) expect(c.body.length).toBeGreaterThan(ctx.limits.maxBodyBytes);
      else expect(c.body.length, c.fault).toBeLessThanOrEqual(ctx.limits.maxBodyBytes);
    }
    // numbers JSON.stringify cannot write reach the server as text
    expect(cases.some((c) => /:1e999\b/.test(c.body))).toBe(true);
  });

  it("name the exact message at fault", () => {
    const c = cases.find((x) => x.fault === "message role unknown")!;
    const k = Number(/^messages\[(\d+)\]\.role$/.exec(c.param!)![1]);
    expect((JSON.parse(c.body) as { messages: { role: unknown }[] }).messages[k]!.role).not.toMatch(/^(user|assistant)$/);
  });
});

describe("judging an answer", () => {
  const c: MalformedCase = { fault: "f", endpoint: "/v1/completions", body: "{}", param: "entropy.target", status: 400 };
  const json = "application/json; charset=UTF-8";
  const error = (param: string | null) => JSON.stringify({ error: { message: "m", type: "invalid_request_error", param, code: null } });

  it("passes a 4xx JSON error naming the field or a path inside it", () => {
    expect(judge(c, { status: 400, contentType: json, body: error("entropy.target") })).toBeUndefined();
    expect(judge({ ...c, param: "prompt" }, { status: 400, contentType: json, body: error("prompt[3]") })).toBeUndefined();
    expect(judge({ ...c, param: null }, { status: 400, contentType: json, body: error(null) })).toBeUndefined();
  });

  it("fails a 5xx, an accepted request, another status, text, a body without an error, another field", () => {
    expect(judge(c, { status: 500, contentType: json, body: error(null) })).toBe("5xx");
    expect(judge(c, { status: 200, contentType: json, body: "{}" })).toBe("accepted");
    expect(judge(c, { status: 413, contentType: json, body: error("entropy.target") })).toBe("wrong status");
    expect(judge(c, { status: 400, contentType: "text/plain", body: error("entropy.target") })).toBe("not JSON");
    expect(judge(c, { status: 400, contentType: json, body: "{" })).toBe("not JSON");
    expect(judge(c, { status: 400, contentType: json, body: '{"message":"m"}' })).toBe("no error object");
    expect(judge(c, { status: 400, contentType: json, body: error("entropy") })).toBe("wrong param");
    expect(judge(c, { status: 400, contentType: json, body: error("entropy.target_x") })).toBe("wrong param");
    expect(judge(c, { status: 400, contentType: json, body: error(null) })).toBe("wrong param");
  });

  it("a field is named by itself or a path inside it, not by a sibling with the same prefix", () => {
    expect(namesField("messages[2].role", "messages[2].role")).toBe(true);
    expect(namesField("messages[2].role", "messages")).toBe(true);
    expect(namesField("messages_x", "messages")).toBe(false);
    expect(namesField(null, "model")).toBe(false);
  });
});

const sse = (...events: unknown[]) => events.map((e) => `data: ${typeof e === "string" ? e : JSON.stringify(e)}\n\n`).join("");
const tokenChunk = (id: string, index: number, text: string, token: number) => ({ id, choices: [{ index, text, telemetry: [{ token_id: token }] }] });

describe("a stream against its replay", () => {
  const whole = sse(tokenChunk("a", 0, "And", 5), tokenChunk("a", 1, " so", 6), tokenChunk("a", 0, " it", 7), "[DONE]");
  const solo = parseStream(200, whole.replaceAll('"a"', '"b"'));

  it("is read per row from text and chat chunks", () => {
    expect(parseStream(200, whole)).toEqual({ status: 200, ids: ["a"], tokens: [[5, 7], [6]], text: ["And it", " so"], done: true });
    const chat = sse(
      { id: "c", choices: [{ index: 0, delta: { role: "assistant", content: "" } }] },
      { id: "c", choices: [{ index: 0, delta: { content: "Hi" }, telemetry: [{ token_id: 9 }] }] },
      "[DONE]",
    );
    expect(parseStream(200, chat)).toMatchObject({ tokens: [[9]], text: ["Hi"], done: true });
    expect(parseStream(200, sse(tokenChunk("a", 0, "x", 1), { error: { code: "stream_idle_timeout" } }))).toMatchObject({ done: false, error: "stream_idle_timeout" });
    expect(parseStream(429, '{"error":{"code":"too_many_concurrent_requests"}}')).toMatchObject({ status: 429, error: "too_many_concurrent_requests" });
  });

  it("is ok when it carries exactly its replay's tokens (the ids of two completions differ)", () => {
    expect(compareStreams(parseStream(200, whole), solo, 2)).toEqual({ kind: "ok" });
  });

  it("is lost when it did not arrive whole", () => {
    const lost = (outcome: StreamOutcome) => compareStreams(outcome, solo, 2).kind;
    expect(lost(parseStream(200, whole.replace("data: [DONE]\n\n", "")))).toBe("lost");
    expect(lost(parseStream(200, sse(tokenChunk("a", 0, "And", 5), tokenChunk("a", 1, " so", 6), "[DONE]")))).toBe("lost");
    expect(lost(parseStream(500, "{}"))).toBe("lost");
    expect(lost(parseStream(200, sse(tokenChunk("a", 0, "And", 5), tokenChunk("a", 1, " so", 6), tokenChunk("a", 0, " it", 7), { error: { code: "internal_error" } })))).toBe("lost");
    expect(compareStreams(parseStream(200, whole), parseStream(200, ""), 2).kind).toBe("lost");
  });

  it("is mixed when it carries what another request produced", () => {
    const mixed = (text: string) => compareStreams(parseStream(200, text), solo, 2).kind;
    expect(mixed(whole.replace(/"id":"a"(.*?)"id":"a"/s, '"id":"a"$1"id":"z"'))).toBe("mixed");
    expect(mixed(whole.replace('"token_id":7', '"token_id":8'))).toBe("mixed");
    expect(mixed(whole.replace("[DONE]", JSON.stringify(tokenChunk("a", 2, "!", 3))))).toBe("mixed");
    expect(mixed(whole.replace("[DONE]", `${JSON.stringify(tokenChunk("a", 1, "!", 3))}\n\ndata: [DONE]`))).toBe("mixed");
    expect(mixed(whole.replace('" it"', '" at"'))).toBe("mixed");
  });

  it("a 429 is a refusal, counted apart", () => {
    const verdicts = [compareStreams(parseStream(429, "{}"), solo, 2), compareStreams(parseStream(200, whole), solo, 2), compareStreams(parseStream(500, "{}"), solo, 2)];
    expect(tallyStreams(verdicts)).toEqual({ streams: 3, ok: 1, lost: 1, mixed: 0, rejected: 1, examples: ["#0 rejected: 429 while running concurrently", "#2 lost: status 500"] });
  });
});

describe("the command line", () => {
  const plan = (argv: string[]) => {
    const line = parseCommandLine(STRESS_COMMAND, argv);
    if (line.help) throw new Error("help");
    return planOf(line.values, argv);
  };

  it("defaults to the issue's sizes, and --quick shrinks those not set", () => {
    expect(plan([])).toMatchObject({ streams: 64, malformed: 5000, dropped: 20, soak: 400, idleMs: 5000 });
    expect(plan([]).shapes).toEqual([parseShape("1x1000"), parseShape("4*1x1000"), parseShape("8x1000")]);
    expect(plan(["--quick", "--streams", "16"])).toMatchObject({ streams: 16, malformed: 500, dropped: 4, soak: 40, shapes: [{ concurrent: 1, n: 1, tokens: 100 }] });
    expect(plan(["--shapes", ""]).shapes).toEqual([]);
  });

  it("raises MAX_CONCURRENT to what the plan opens at once", () => {
    expect(varsOf(plan([]))).toEqual({ MAX_CONCURRENT: "64", STREAM_IDLE_MS: "5000" });
    expect(varsOf(plan(["--streams", "2", "--dropped", "3", "--shapes", "6*1x10", "--idle-ms", "700"]))).toEqual({ MAX_CONCURRENT: "6", STREAM_IDLE_MS: "700" });
  });

  it("reads request shapes and refuses others", () => {
    expect(parseShape(" 4 * 8x1000 ")).toEqual({ concurrent: 4, n: 8, tokens: 1000 });
    for (const bad of ["8", "0x10", "x10", "2*8x", "-1x5"]) expect(() => parseShape(bad), bad).toThrow(RangeError);
  });
});

describe("the report", () => {
  const plan = { streams: 4, streamTokens: 8, malformed: 10, malformedSeed: 1, dropped: 2, soak: 10, soakTokens: 4, shapes: [parseShape("1x100")], idleMs: 500 };
  const window = { median: 10, p90: 12, n: 1 };
  const run: TargetRun = {
    target: "workerd",
    vars: { MAX_CONCURRENT: "4" },
    startSeconds: 3,
    memory: { scope: "isolate", columns: ["V8 heap + backing stores", "V8 heap", "backing stores"] },
    soak: { requests: 10, failures: 0, first: window, last: window, memoryFirst: [64 * 2 ** 20, 0, 0], memoryLast: [65 * 2 ** 20, 0, 0] },
    shapes: [{ shape: plan.shapes[0]!, before: [64 * 2 ** 20], peak: [80 * 2 ** 20, 14 * 2 ** 20, 66 * 2 ** 20], statuses: [200], seconds: 2 }],
    streams: { streams: 4, ok: 4, lost: 0, mixed: 0, rejected: 0, examples: [], concurrentSeconds: 1, replaySeconds: 2 },
    dropped: { dropped: 2, slotsBackMs: 600, after: 200, admitted: 4, capacity: 4, refused: {} },
    malformed: { requests: 10, faults: 7, statuses: { 400: 9, 413: 1 }, failures: {}, examples: [], seconds: 1 },
  };

  it("passes a run that met every check", () => {
    expect(checksOf(run, plan).filter((c) => !c.ok)).toEqual([]);
  });

  it("fails a lost stream, a 5xx, a slot still held, a failed soak request, a shape without an answer", () => {
    const failing = (change: Partial<TargetRun>) =>
      checksOf({ ...run, ...change }, plan)
        .filter((c) => !c.ok)
        .map((c) => c.name.split(":")[0]);
    expect(failing({ streams: { ...run.streams, ok: 3, lost: 1 } })).toEqual(["4 concurrent streams"]);
    expect(failing({ streams: { ...run.streams, ok: 3, rejected: 1 } })).toEqual(["4 concurrent streams"]);
    expect(failing({ malformed: { ...run.malformed, statuses: { 400: 9, 500: 1 }, failures: { "5xx": 1 } } })).toEqual(["10 malformed requests"]);
    expect(failing({ malformed: { ...run.malformed, requests: 9 } })).toEqual(["10 malformed requests"]);
    expect(failing({ dropped: { ...run.dropped, slotsBackMs: null } })).toEqual(["2 streams dropped by the client"]);
    expect(failing({ dropped: { ...run.dropped, admitted: 3, refused: { "429 memory_budget_exceeded": 1 } } })).toEqual(["2 streams dropped by the client"]);
    expect(failing({ soak: { ...run.soak, failures: 1 } })).toEqual(["10-request soak"]);
    expect(failing({ shapes: [{ ...run.shapes[0]!, statuses: [599] }] })).toEqual(["request shapes"]);
    expect(failing({ shapes: [{ ...run.shapes[0]!, statuses: [429] }] })).toEqual([]);
    expect(failing({ shapes: [{ ...run.shapes[0]!, statuses: [400] }] })).toEqual([]);
  });

  it("states the command, the machine, the checks and the figures, with what memory is measured", () => {
    const node: TargetRun = { ...run, target: "node", memory: { scope: "process", columns: ["RSS", "V8 heap + backing stores"] }, soak: { ...run.soak, failures: 2 } };
    const doc = renderReliabilityDoc({ command: "npm run stress -- --quick", machine: ["CPU: test, 2 cores", "Node v20, commit abc1234"], plan, runs: [run, node], seconds: 90 });
    expect(doc).toContain("Generated by `npm run stress -- --quick`");
    expect(doc).toContain("- CPU: test, 2 cores\n- Node v20, commit abc1234");
    expect(doc).toMatch(/\| 10-request soak: every request answered whole \| ok: 0 failed \| \*\*FAIL\*\*: 2 failed \|/);
    expect(doc).toContain("| workerd | 4 | 4 | 0 | 0 | 0 | 1.0 s | 2.0 s |");
    expect(doc).toContain("| workerd | 2 | 0.6 s | 200 | 4 of 4 |");
    expect(doc).toContain("isolate (V8 heap + backing stores): 64.0 MiB → 65.0 MiB");
    expect(doc).toContain("| n = 1 × 100 tokens | 64.0 MiB | **80.0 MiB** (V8 heap + backing stores 80.0 MiB, V8 heap 14.0 MiB, backing stores 66.0 MiB) | 1 × 200 | 2.0 s |");
    expect(doc).toContain("**node** (process memory)");
  });
});
