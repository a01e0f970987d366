/**
 * App dependencies — what the HTTP layer needs from its host (the Worker entry or the Node
 * server): the served model with its catalog, loaded lazily, the limits and the optional key.
 */
import type { Catalog } from "../control/catalog.js";
import type { Model } from "../model/model.js";
import type { Gate } from "./concurrency.js";
import { ApiError } from "./errors.js";
import type { Limits } from "./limits.js";

/** The loaded model and the fitted data for it. */
export interface Served {
  readonly model: Model;
  readonly catalog: Catalog;
}

export interface AppDeps {
  /** The model name clients pass as `model` (its directory name), known before loading. */
  readonly modelName: string;
  /** The served model; rejects with a 503 ApiError while it cannot be loaded. */
  getModel(): Promise<Served>;
  readonly limits: Limits;
  /** Bearer key every /v1 request must carry; open when undefined. */
  readonly apiKey?: string;
}

/** What route factories receive: the host's dependencies and the app's concurrency gate. */
export interface RouteDeps extends AppDeps {
  readonly gate: Gate;
}

/** The served model if `requested` names it; a 404 otherwise. */
export async function servedModel(deps: AppDeps, requested: string): Promise<Served> {
  if (requested !== deps.modelName) {
    throw new ApiError(404, `model '${requested}' does not exist; this server serves '${deps.modelName}'`, {
      param: "model",
      code: "model_not_found",
    });
  }
  return deps.getModel();
}
