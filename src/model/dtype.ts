/**
 * Weight variants — the ONNX files one model directory may hold, by the names transformers.js
 * gives them (its `dtype` option): `fp32` the export, `q8` training/quantize.py's int8 weights
 * with a float16 KV cache. Each file has its own content hash, so its own model id.
 */

/** ONNX file of each variant, relative to the model directory. */
export const MODEL_DTYPES = { fp32: "onnx/model.onnx", q8: "onnx/model_quantized.onnx" } as const;
export type ModelDtype = keyof typeof MODEL_DTYPES;

/** The variant a MODEL_DTYPE value names (`fallback` when unset); throws naming the variable. */
export function parseModelDtype(value: string | undefined, fallback: ModelDtype): ModelDtype {
  if (value === undefined || value === "") return fallback;
  if (Object.hasOwn(MODEL_DTYPES, value)) return value as ModelDtype;
  throw new Error(`MODEL_DTYPE must be one of ${Object.keys(MODEL_DTYPES).join(", ")}, got '${value}'`);
}
