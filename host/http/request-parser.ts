// Checks a request part against its schema. A failure is `InvalidRequest` whose
// `error.data.issues` lists each problem with its path (unknown fields included).
import type { z } from "@hono/zod-openapi";
import { RuntimeError } from "../../sandbox/errors.ts";

export interface RequestIssue {
  path: (string | number)[];
  code: string;
  message: string;
}

export function parseRequest<S extends z.ZodType>(schema: S, value: unknown, part: "body" | "query" = "body"): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.flatMap(toRequestIssues);
  const first = issues[0];
  const where = first === undefined || first.path.length === 0 ? part : `${part}.${first.path.join(".")}`;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : "";
  throw new RuntimeError("InvalidRequest", `invalid request: ${where}: ${first?.message ?? "invalid"}${more}`, { data: { issues } });
}

function toRequestIssues(issue: z.core.$ZodIssue): RequestIssue[] {
  const path = issue.path.map((p) => (typeof p === "number" ? p : String(p)));
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((key) => ({ path: [...path, key], code: "unknown_field", message: "unknown field" }));
  }
  return [{ path, code: issue.code, message: issue.message.replace(/^Invalid input: /, "") }];
}
