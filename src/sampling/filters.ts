/**
 * Filters — the truncation samplers a request enables, in their fixed order.
 *
 * A disabled setting adds no sampler (rather than a no-op inside the loop). Order follows
 * llama.cpp's default chain: top-k, then top-p, then min-p, all on temperature-scaled scores.
 */
import { createMinP } from "./min-p.js";
import type { Sampler } from "./sampler.js";
import { createTopK } from "./top-k.js";
import { createTopP } from "./top-p.js";

/** Truncation settings; each is disabled when absent or at its neutral value. */
export interface FilterOptions {
  /** Keep the k best tokens; 0 disables. */
  topK?: number;
  /** Nucleus mass in (0, 1]; 1 disables. */
  topP?: number;
  /** Relative probability floor in [0, 1]; 0 disables. */
  minP?: number;
}

/** The enabled filters, validated (RangeError naming the option) and in chain order. */
export function createFilters({ topK, topP, minP }: FilterOptions): Sampler[] {
  const filters: Sampler[] = [];
  if (topK !== undefined && topK !== 0) filters.push(createTopK(topK));
  if (topP !== undefined && topP !== 1) filters.push(createTopP(topP));
  if (minP !== undefined && minP !== 0) filters.push(createMinP(minP));
  return filters;
}
