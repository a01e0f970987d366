/**
 * The API, the evaluation and the fitter decode through one kernel: at the same seed a rollout
 * (what `npm run eval` and `npm run fit` run) gives the tokens the API returns, with the policy
 * planControl builds, its probe of the prompt included — here a proxy that saturates and hands
 * over to its schedule mid-way.
 */
import { describe, expect, test } from "vitest";
import { loadCatalogFromDisk } from "../src/cli/catalog-disk.js";
import { type EntropyParams, planControl } from "../src/decode/plan.js";
import { rollout } from "../src/fit/rollout.js";
import { createChain } from "../src/sampling/chain.js";
import { nodeModel, post, testApp } from "./helpers/http.js";

const PROMPT = "And the LORD spake unto Moses, saying";
const TOKENS = 80;

interface Completion {
  choices: { telemetry: { token_id: number; temperature: number }[] }[];
  entropy: { mode: string; fallback?: { mode: string; at_token: number; reason: string }; probe?: { rows: number; positions: number; divergence: number } };
}

describe("one kernel for the API, the evaluation and the fitter", () => {
  test.each([
    // t_max 0.6 is far below what target 5 needs: the proxy sits at the clamp and hands over.
    ["proxy with its fallback", { mode: "proxy", target: 5, t_max: 0.3 }, { mode: "proxy", target: 5, tMax: 0.3 }],
    ["exact", { mode: "exact", target: 3 }, { mode: "exact", target: 3 }],
  ] as const)("%s: a rollout at the API's seed gives the API's tokens", async (_label, wire, params) => {
    const model = await nodeModel();
    const catalog = await loadCatalogFromDisk("schedules", model.id);
    expect(catalog.calibration, "the shipped calibration").toBeDefined();
    const app = await testApp({ model, catalog });
    const res = await post(app, "/v1/completions", { model: model.name, prompt: PROMPT, max_tokens: TOKENS, seed: 123, entropy: wire, telemetry: true });
    expect(res.status).toBe(200);
    const api = (await res.json()) as Completion;
    const apiTokens = api.choices[0]!.telemetry.map((t) => t.token_id);

    const plan = planControl(params as EntropyParams, { temperature: 1, rows: 1, vocabSize: model.spec.vocabSize, catalog });
    const drawn: number[] = [];
    await rollout(model.lm, {
      promptIds: model.tokenizer.encode(PROMPT),
      rows: 1,
      tokens: TOKENS,
      sampler: createChain([plan.controller, ...plan.samplers]),
      probes: plan.probe ? [plan.probe] : [],
      seed: 123,
      observe: (step) => drawn.push(step.tokens[0]!),
    });
    // Both probed the prompt on the same shadow rows, and the probe's divergence steered both.
    expect(plan.probe).toBeDefined();
    expect(api.entropy.probe).toEqual({ rows: plan.probe!.rows, positions: plan.probe!.positions, divergence: Number(plan.probe!.scale.toFixed(4)) });
    expect(api.entropy.probe!.divergence).not.toBe(1);
    // The API ends a row at end-of-text; a rollout decodes on, so the API's tokens are its prefix.
    expect(apiTokens.length).toBeGreaterThan(20);
    expect(drawn.slice(0, apiTokens.length)).toEqual(apiTokens);
    if (params.mode === "proxy") {
      expect(api.entropy.fallback).toMatchObject({ mode: "schedule", reason: expect.stringMatching(/^proxy controller saturated/) });
      expect(plan.controller.handover?.index).toBe(api.entropy.fallback!.at_token);
      expect(api.entropy.fallback!.at_token).toBeLessThan(apiTokens.length - 10);
    } else {
      expect(plan.controller.handover).toBeUndefined();
    }
  });
});
