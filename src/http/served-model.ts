/**
 * Served model — what /healthz and /v1/schedules say about the model that runs: its name and
 * id, which of its ONNX files (dtype) with which KV cache, and the model id its schedules and
 * calibration were fitted on (another id only for a weight variant that inherits its export's).
 */
import type { Catalog } from "../control/catalog.js";
import type { Model } from "../model/model.js";

export interface ServedModel {
  model: string;
  model_id: string;
  dtype: string;
  kv_dtype: string;
  fitted_on_model_id: string;
}

export function servedModel(model: Model, catalog: Catalog): ServedModel {
  return { model: model.name, model_id: model.id, dtype: model.dtype, kv_dtype: model.lm.kvDtype, fitted_on_model_id: catalog.fittedOn ?? model.id };
}
