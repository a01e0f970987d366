import { describe, expect, test } from "vitest";
import { errorOf, nodeModel, post, testApp } from "./helpers/http.js";

const model = await nodeModel();
const KEY = "sk-test-0123456789";
const locked = await testApp({ apiKey: KEY });
const open = await testApp();
const body = { model: model.name, prompt: "x", max_tokens: 1 };

describe("API key auth", () => {
  test("without API_KEY the API is open", async () => {
    expect((await open.request("/v1/models")).status).toBe(200);
    expect((await post(open, "/v1/completions", body)).status).toBe(200);
  });

  test.each([
    ["no Authorization header", undefined],
    ["a wrong key", `Bearer ${KEY}x`],
    ["a prefix of the key", `Bearer ${KEY.slice(0, -1)}`],
    ["another scheme", `Basic ${KEY}`],
    ["a bare key", KEY],
  ])("with API_KEY, %s is a 401", async (_label, authorization) => {
    const headers: Record<string, string> = authorization ? { Authorization: authorization } : {};
    const res = await post(locked, "/v1/completions", body, { headers });
    expect(res.status).toBe(401);
    expect(await errorOf(res)).toMatchObject({ type: "authentication_error", code: "invalid_api_key" });
    expect((await locked.request("/v1/models", { headers })).status).toBe(401);
  });

  test("with API_KEY, the right bearer token passes (scheme case-insensitive)", async () => {
    expect((await post(locked, "/v1/completions", body, { headers: { Authorization: `Bearer ${KEY}` } })).status).toBe(200);
    expect((await locked.request("/v1/models", { headers: { Authorization: `bearer ${KEY}` } })).status).toBe(200);
  });

  test("auth runs before validation, so a bad body without a key says 401", async () => {
    expect((await post(locked, "/v1/completions", "{oops")).status).toBe(401);
  });

  test("/healthz stays open for probes", async () => {
    expect((await locked.request("/healthz")).status).toBe(200);
  });
});
