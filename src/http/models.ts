/**
 * GET /v1/models and /v1/models/:id — the one model this deployment serves, in OpenAI's model
 * list shape, plus what a client needs to size requests (positions, vocabulary) and the content
 * id that schedules and calibrations are keyed by.
 */
import { Hono } from "hono";
import type { Model } from "../model/model.js";
import { type RouteDeps, servedModel } from "./deps.js";

function describe(model: Model) {
  return {
    id: model.name,
    object: "model",
    // The API has no record of when the weights were made.
    created: 0,
    owned_by: "isentropic",
    content_id: model.id,
    max_positions: model.spec.maxPositions,
    vocab_size: model.spec.vocabSize,
  };
}

export function models(deps: RouteDeps): Hono {
  return new Hono()
    .get("/v1/models", async (c) => {
      const { model } = await deps.getModel();
      return c.json({ object: "list", data: [describe(model)] });
    })
    .get("/v1/models/:id", async (c) => {
      const { model } = await servedModel(deps, c.req.param("id"));
      return c.json(describe(model));
    });
}
