// One /v1 operation: its zod schemas, documented in the OpenAPI registry and used to
// validate the request. Bodies are read by readJsonBody (any Content-Type, size-capped)
// rather than Hono's json validator, which would refuse HiAgent's form-typed curl calls.
import { createRoute, type OpenAPIHono, type z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { ERROR_CODES, type ErrorCode } from "../../sandbox/errors.ts";
import type { AppEnv } from "./app-env.ts";
import { ErrorEnvelope, dataEnvelope } from "./api-schemas.ts";
import { readJsonBody } from "./json-body.ts";
import { bodySource } from "./node-request.ts";
import { parseRequest } from "./request-parser.ts";

export type ApiApp = OpenAPIHono<AppEnv>;
export type ApiContext = Context<AppEnv>;

export interface OperationSpec<B extends z.ZodType> {
  name: string;
  summary: string;
  description?: string;
  tag: "Packages" | "Install jobs" | "Tools" | "Plugin configs" | "Tenancy";
  body: B;
  /** The shape of `data` in a successful answer. */
  data: z.ZodType;
  /** Error codes this operation may answer, beyond those every operation may. */
  errors: readonly ErrorCode[];
  /** The operation may also answer with server-sent events. */
  streams?: boolean;
  handle(c: ApiContext, body: z.output<B>): Promise<Response>;
}

/** Every operation may answer these. */
const COMMON_ERRORS: readonly ErrorCode[] = ["InvalidRequest", "PayloadTooLarge", "Internal"];

export const SSE_DESCRIPTION =
  'With `stream: true`: `text/event-stream`, one `data: {"data": <chunk>, "error": null}` event per chunk, ' +
  'a failure as one `data: {"data": null, "error": {...}}` event, then `event: end`.';

export function errorResponses(codes: readonly ErrorCode[]) {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of [...COMMON_ERRORS, ...codes]) {
    const status = ERROR_CODES[code].status;
    const list = byStatus.get(status) ?? [];
    if (!list.includes(code)) list.push(code);
    byStatus.set(status, list);
  }
  return Object.fromEntries(
    [...byStatus].map(([status, list]) => [
      String(status),
      { description: list.join(", "), content: { "application/json": { schema: ErrorEnvelope } } },
    ]),
  );
}

export function mountOperation<B extends z.ZodType>(app: ApiApp, spec: OperationSpec<B>, maxBodyBytes: number): void {
  const path = `/v1/${spec.name}`;
  const ok: Record<string, { schema: z.ZodType }> = { "application/json": { schema: dataEnvelope(spec.data) } };
  if (spec.streams === true) ok["text/event-stream"] = { schema: dataEnvelope(spec.data) };
  app.openAPIRegistry.registerPath(
    createRoute({
      method: "post",
      path,
      operationId: spec.name,
      tags: [spec.tag],
      summary: spec.summary,
      ...(spec.description === undefined ? {} : { description: spec.description }),
      request: { body: { required: true, content: { "application/json": { schema: spec.body } } } },
      responses: {
        200: { description: spec.streams === true ? `Success. ${SSE_DESCRIPTION}` : "Success", content: ok },
        ...errorResponses(spec.errors),
      },
    }),
  );
  app.post(path, async (c) => {
    c.set("operation", spec.name);
    const body = parseRequest(spec.body, await readJsonBody(bodySource(c), maxBodyBytes));
    return spec.handle(c, body);
  });
}
