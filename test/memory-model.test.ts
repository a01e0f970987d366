/** The memory model and the gate's admission against the budget: pure, no model loaded. */
import { describe, expect, test } from "vitest";
import { createGate } from "../src/http/concurrency.js";
import { ApiError } from "../src/http/errors.js";
import { parseModelConfig } from "../src/model/config.js";
import { baselineBytes, HEAP_PER_TOKEN, kvBytesPerPosition, requestMemory, wasmFreeBytes } from "../src/model/memory.js";

const MiB = 2 ** 20;
const kjv = parseModelConfig({ model_type: "gpt2", n_layer: 4, n_head: 4, n_embd: 256, n_positions: 1024, vocab_size: 4096, eos_token_id: 0 });

describe("the memory model", () => {
  test("a row's K and V per position: layers × kv heads × head dim × fp32 × 2, grouped-query heads counted as kv heads", () => {
    expect(kvBytesPerPosition(kjv)).toBe(4 * 4 * 64 * 4 * 2);
    const qwen = parseModelConfig({ num_hidden_layers: 24, num_attention_heads: 14, num_key_value_heads: 2, hidden_size: 896, max_position_embeddings: 32768, vocab_size: 151936 });
    expect(kvBytesPerPosition(qwen)).toBe(24 * 2 * 64 * 4 * 2);
    // a float16 cache is half of it
    expect(kvBytesPerPosition(kjv, 2)).toBe(4 * 4 * 64 * 2 * 2);
  });

  test("a request holds its cache, logits and heap per token; a run adds its slice in JS, and in wasm only past the free space", () => {
    const b = kvBytesPerPosition(kjv);
    const free = wasmFreeBytes(22_177_307);
    const held = b * 1000 * 8 + 8 * 4096 * 4 * 4 + 8 * 1000 * HEAP_PER_TOKEN;
    // one row per run: its wasm copies (2 × 7.8 MiB) fit in the space the load left
    expect(requestMemory(kjv, { rows: 8, positions: 1000, rowsPerRun: 1, wasmFreeBytes: free })).toEqual({ held, transient: b * 1000 });
    // all rows in one run copy the whole cache, and wasm grows by what does not fit
    expect(requestMemory(kjv, { rows: 8, positions: 1000, wasmFreeBytes: free })).toEqual({ held, transient: b * 1000 * 8 + (2 * b * 1000 * 8 - free) });
    // with nothing free, every wasm byte of a run is growth
    expect(requestMemory(kjv, { rows: 1, positions: 1000 }).transient).toBe(3 * b * 1000);
    // a run is never more rows than the request has
    expect(requestMemory(kjv, { rows: 2, positions: 100, rowsPerRun: 4 })).toEqual(requestMemory(kjv, { rows: 2, positions: 100 }));
  });

  test("a float16 cache: half the bytes held, and a run's widening to float32 in wasm counted (4 slices)", () => {
    const b = kvBytesPerPosition(kjv, 2);
    const free = wasmFreeBytes(5_748_508);
    const m = requestMemory(kjv, { rows: 8, positions: 1005, rowsPerRun: 1, kvElementBytes: 2, wasmFreeBytes: free });
    expect(m.held).toBe(b * 1005 * 8 + 8 * 4096 * 4 * 4 + 8 * 1005 * HEAP_PER_TOKEN);
    expect(m.transient).toBe(b * 1005 + (4 * b * 1005 - free));
    // the shipped q8 file at n = 8 × 1000 fits a 100 MiB budget beside its baseline (measured in workerd: 82.4 MiB)
    expect((baselineBytes(5_748_508) + m.held + m.transient) / MiB).toBeLessThan(100);
  });

  test("linear in positions while a run's copies fit the free wasm space, so a short request measures the slope of a long one", () => {
    const at = (positions: number) => {
      const m = requestMemory(kjv, { rows: 8, positions, rowsPerRun: 1, wasmFreeBytes: wasmFreeBytes(22_177_307) });
      return m.held + m.transient;
    };
    expect(at(1000) - at(500)).toBeCloseTo(at(500) - at(0), 6);
    expect(at(0)).toBe(8 * 4096 * 4 * 4);
  });

  test("the baseline grows with the ONNX file: 69.5 MiB for the shipped 21.2 MiB model", () => {
    expect(baselineBytes(22_177_307) / MiB).toBeCloseTo(69.5, 0);
    expect(baselineBytes(2 * 22_177_307)).toBeGreaterThan(baselineBytes(22_177_307));
  });
});

describe("admission against the memory budget", () => {
  const demand = (mib: number, transient = 0) => ({ bytes: mib * MiB, transient: transient * MiB, baseline: 80 * MiB });
  const refusal = (run: () => unknown): ApiError => {
    try {
      run();
    } catch (err) {
      if (err instanceof ApiError) return err;
      throw err;
    }
    throw new Error("admitted");
  };

  test("admits while the baseline plus every admitted estimate fits, and answers the rest 429 with Retry-After", () => {
    const gate = createGate(4, 5000, () => 0, 120 * MiB);
    const a = gate.enter(() => undefined, demand(25));
    gate.enter(() => undefined, demand(15));
    expect(gate.reserved).toBe(40 * MiB);
    const err = refusal(() => gate.enter(() => undefined, demand(1)));
    expect(err.status).toBe(429);
    expect(err.code).toBe("memory_budget_exceeded");
    expect(err.headers["Retry-After"]).toBe("2");
    expect(err.message).toMatch(/1\.0 MiB.*40\.0 MiB.*2 running.*40\.0 MiB.*MEMORY_BUDGET_MB/);
    a.release();
    gate.enter(() => undefined, demand(25));
    expect(gate.reserved).toBe(40 * MiB);
  });

  test("only the largest transient counts, as runs never overlap", () => {
    // 50 MiB beside the 80 MiB baseline; summed, the transients below would need 58 MiB already
    const gate = createGate(4, 5000, () => 0, 130 * MiB);
    gate.enter(() => undefined, demand(10, 8));
    gate.enter(() => undefined, demand(10, 8));
    expect(gate.reserved).toBe(28 * MiB);
    gate.enter(() => undefined, demand(10, 12));
    expect(gate.reserved).toBe(42 * MiB);
    expect(() => gate.enter(() => undefined, demand(8, 13))).toThrow(/not enough memory/);
    gate.enter(() => undefined, demand(8, 12));
    expect(gate.reserved).toBe(50 * MiB);
  });

  test("a slot taken back from an idle holder frees its bytes", () => {
    let clock = 0;
    const gate = createGate(4, 1000, () => clock, 120 * MiB);
    gate.enter(() => undefined, demand(40));
    expect(() => gate.enter(() => undefined, demand(10))).toThrow(/not enough memory/);
    clock = 1000;
    gate.enter(() => undefined, demand(10));
    expect(gate.reserved).toBe(10 * MiB);
  });

  test("MAX_CONCURRENT still applies, and a request without a demand is counted as none", () => {
    const gate = createGate(2, 1000, () => 0, 100 * MiB);
    gate.enter(() => undefined);
    gate.enter(() => undefined, demand(20));
    expect(refusal(() => gate.enter(() => undefined)).code).toBe("too_many_concurrent_requests");
    expect(gate.reserved).toBe(20 * MiB);
  });
});
