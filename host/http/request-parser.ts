// Checks a request part against its schema. A failure is `InvalidRequest` whose
// `error.data.issues` lists each problem with its path (unknown fields included): the
// first MAX_ISSUES of them, with `issue_count` saying how many there were, so a body of
// many bad fields gets a short answer.
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
  const { issues, count } = requestIssues(result.error.issues);
  const first = issues[0];
  const where = first === undefined || first.path.length === 0 ? part : `${part}.${first.path.join(".")}`;
  const more = count > 1 ? ` (and ${count - 1} more)` : "";
  throw new RuntimeError("InvalidRequest", `invalid request: ${where}: ${first?.message ?? "invalid"}${more}`, { data: { issues, issue_count: count } });
}

/** Issues listed in a refusal; `issue_count` gives the total. */
export const MAX_ISSUES = 20;

function requestIssues(zodIssues: readonly z.core.$ZodIssue[]): { issues: RequestIssue[]; count: number } {
  const issues: RequestIssue[] = [];
  let count = 0;
  for (const issue of zodIssues) {
    const path = issue.path.map((p) => (typeof p === "number" ? p : String(p)));
    if (issue.code === "unrecognized_keys") {
      count += issue.keys.length;
      for (const key of issue.keys.slice(0, Math.max(0, MAX_ISSUES - issues.length))) issues.push({ path: [...path, key], code: "unknown_field", message: "unknown field" });
      continue;
    }
    count++;
    if (issues.length < MAX_ISSUES) issues.push({ path, code: issue.code, message: issue.message.replace(/^Invalid input: /, "") });
  }
  return { issues, count };
}
