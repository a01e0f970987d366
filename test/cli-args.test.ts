import { describe, expect, it } from "vitest";
import { intArg, listArg } from "../src/cli/args.js";

describe("CLI option parsing", () => {
  it("reads integers and lists, and names the flag when a value is bad", () => {
    expect(intArg("batch", "30")).toBe(30);
    expect(intArg("seed", "0", 0)).toBe(0);
    expect(() => intArg("batch", "0")).toThrow("--batch must be an integer >= 1, got 0");
    expect(() => intArg("batch", "2.5")).toThrow(/--batch/);
    expect(() => intArg("batch", undefined)).toThrow(/--batch/);
    expect(listArg("targets", "3.5, 5,6.5")).toEqual([3.5, 5, 6.5]);
    expect(() => listArg("targets", "")).toThrow("--targets must be a comma-separated list of positive numbers, got ");
    expect(() => listArg("targets", "3,-1")).toThrow(/--targets/);
    expect(() => listArg("targets", "3,x")).toThrow(/--targets/);
  });
});
