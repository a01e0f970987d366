/**
 * Fixed — the open-loop baseline: one temperature for every row and step, as a Controller so the
 * decode loop treats every mode alike. It never clamps, so it never saturates.
 */
import { createTemperature } from "../sampling/temperature.js";
import type { Controller } from "./controller.js";

/** A controller that always samples at `temperature` (finite, > 0); estimate stays NaN. */
export function createFixedController(temperature: number): Controller {
  const { apply } = createTemperature(temperature);
  return { name: "fixed", saturation: 0, apply };
}
