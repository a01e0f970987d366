/**
 * JSON body validation — a middleware factory that parses the body as JSON (whatever the
 * Content-Type: curl's `-d` sends form encoding) and checks it against a valibot schema. The
 * first issue becomes a 400 whose `param` is the field's path, e.g. `entropy.target` or
 * `messages[0].role`; handlers read the typed result with `c.req.valid("json")`.
 */
import type { MiddlewareHandler } from "hono";
import * as v from "valibot";
import { badRequest } from "./errors.js";

/** The dotted path of an issue, `[i]` for array indices; null at the root. */
function paramOf(issue: v.BaseIssue<unknown>): string | null {
  let path = "";
  for (const item of issue.path ?? []) {
    const key = item.key;
    path += typeof key === "number" ? `[${key}]` : path === "" ? String(key) : `.${String(key)}`;
  }
  return path === "" ? null : path;
}

function messageOf(issue: v.BaseIssue<unknown>, param: string | null): string {
  if (param === null) return `request body: ${issue.message}`;
  if (issue.kind === "schema" && issue.input === undefined) return `'${param}' is required`;
  if (issue.type === "strict_object" && issue.expected === "never") return `'${param}' is not a known field`;
  return `'${param}' ${issue.message}`;
}

export function jsonBody<S extends v.GenericSchema>(schema: S): MiddlewareHandler<object, string, { in: { json: v.InferInput<S> }; out: { json: v.InferOutput<S> } }> {
  return async function jsonBody(c, next) {
    let raw: unknown;
    try {
      raw = JSON.parse(await c.req.text());
    } catch {
      throw badRequest(null, "request body is not valid JSON");
    }
    // valibot's object schema takes arrays for objects; a request body must be a plain object.
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw badRequest(null, "request body must be a JSON object");
    const result = v.safeParse(schema, raw);
    if (!result.success) {
      const issue = result.issues[0];
      const param = paramOf(issue);
      throw badRequest(param, messageOf(issue, param));
    }
    c.req.addValidatedData("json", result.output as object);
    await next();
  };
}
