/** A model wrapper for tests that count decode steps or stop a run part-way; no onnxruntime. */
import type { Model } from "../../src/model/model.js";

/** The model with its decode steps counted; from step `failAfter` + 1 on, a step rejects ("killed"), as a killed process stops. */
export function counted(base: Model, failAfter = Number.POSITIVE_INFINITY): { model: Model; steps: () => number } {
  let steps = 0;
  const lm = {
    spec: base.lm.spec,
    kvDtype: base.lm.kvDtype,
    prefill: base.lm.prefill.bind(base.lm),
    step: (...args: Parameters<Model["lm"]["step"]>) => {
      if (steps >= failAfter) return Promise.reject(new Error("killed"));
      steps++;
      return base.lm.step(...args);
    },
  };
  return { model: { ...base, lm }, steps: () => steps };
}
