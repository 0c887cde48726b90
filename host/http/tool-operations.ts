// Tool operations (SPEC §5): RunPluginTool (JSON or SSE), RunPluginValidate and the
// adapter form a platform can call as a plain HTTP tool. Each call carries an
// AbortSignal that fires when the client goes away, so the tool stops with it.
import { createRoute, z } from "@hono/zod-openapi";
import { RuntimeError } from "../../sandbox/errors.ts";
import { CALL_FAILURE_CODES, servedOfError, type RequestedTool } from "../tools/index.ts";
import type { ApiDeps } from "./api-deps.ts";
import { AdapterBody, AdapterHeaders, AdapterQuery, RunPluginToolBody, RunPluginValidateBody, dataEnvelope } from "./api-schemas.ts";
import { parseCfgHeader } from "./cfg-header.ts";
import { respondData, respondJsonText } from "./envelope.ts";
import { readJsonBody } from "./json-body.ts";
import { bodySource, clientSignal } from "./node-request.ts";
import { SSE_DESCRIPTION, errorResponses, mountOperation, type ApiApp, type ApiContext } from "./operation.ts";
import { parseRequest } from "./request-parser.ts";
import { respondSse, singleChunk } from "./sse-stream.ts";
import { tenantOf } from "./tenant.ts";
import { recordServed, recordUsage, usageOfError } from "./usage-header.ts";

const TOOL_ERRORS = ["PackageNotFound", "PluginNotFound", "ToolNotFound", ...CALL_FAILURE_CODES] as const;

async function runTool(c: ApiContext, deps: ApiDeps, target: RequestedTool, inputJson: string, cfg: unknown, stream: boolean): Promise<Response> {
  const signal = clientSignal(c);
  const outcome = await deps.tools
    .call({ tenant: tenantOf(c), target, inputJson, cfg, requestId: c.get("requestId"), signal, stream })
    .catch((err: unknown) => {
      recordUsage(c, usageOfError(err), servedOfError(err));
      throw err;
    });
  const served = { version: outcome.target.version, channel: outcome.channel };
  if (outcome.kind === "result") {
    recordUsage(c, outcome.usage, served);
    if (!stream) return respondJsonText(c, outcome.json);
    return respondSse(c, { chunks: singleChunk(outcome.json), cancel: () => undefined });
  }

  const toolStream = outcome.stream;
  const onClientGone = (): void => toolStream.cancel();
  signal.addEventListener("abort", onClientGone, { once: true });
  recordServed(c, served);
  const log = deps.logger.child({ req_id: c.get("requestId"), operation: c.get("operation"), tenant: tenantOf(c), pkg: target.pkg, version: served.version, tool: target.tool });
  const started = performance.now();
  try {
    return await respondSse(c, {
      chunks: toolStream,
      cancel: () => toolStream.cancel(),
      requestId: c.get("requestId"),
      onEnd(outcome) {
        signal.removeEventListener("abort", onClientGone);
        const duration_ms = Math.round((performance.now() - started) * 100) / 100;
        const fields = { chunks: outcome.chunks, canceled: outcome.canceled, code: outcome.error?.code, duration_ms };
        if (outcome.error?.code === "Internal") log.error({ ...fields, err: outcome.cause }, "stream failed");
        else log.info(fields, "stream ended");
        // A header cannot carry the receipt of a stream: it is logged once the stream is over.
        void toolStream.usage.then((usage) => log.info({ usage }, "stream usage"), () => undefined);
      },
    });
  } catch (err) {
    signal.removeEventListener("abort", onClientGone);
    throw err;
  }
}

export function mountToolOperations(app: ApiApp, deps: ApiDeps): void {
  mountOperation(app, {
    name: "RunPluginTool",
    tag: "Tools",
    summary: "Call a plugin's tool",
    body: RunPluginToolBody,
    data: z.unknown().openapi({ description: "The tool's return value" }),
    streams: true,
    errors: TOOL_ERRORS,
    async handle(c, body) {
      const { pkg, version, plugin, tool, input, cfg, stream } = body;
      return runTool(c, deps, { pkg, version, plugin, tool }, JSON.stringify(input), cfg, stream);
    },
  }, deps.maxBodyBytes);

  mountOperation(app, {
    name: "RunPluginValidate",
    tag: "Tools",
    summary: "Check a plugin config; null when it is usable",
    body: RunPluginValidateBody,
    data: z.null(),
    errors: ["PackageNotFound", "PluginNotFound", "InvalidConfig", "PluginInvalidConfig", "RateLimited", "ToolError", "ToolTimeout", "ToolMemoryLimit"],
    async handle(c, body) {
      const { pkg, version, plugin, cfg } = body;
      // A successful validate answers no receipt; a failure carries one.
      await deps.tools
        .validate({ tenant: tenantOf(c), target: { pkg, version, plugin }, cfg, requestId: c.get("requestId"), signal: clientSignal(c) })
        .catch((err: unknown) => {
          recordUsage(c, usageOfError(err), servedOfError(err));
          throw err;
        });
      return respondData(c, null);
    },
  }, deps.maxBodyBytes);

  const adapterPath = "/v1/RunPluginToolAdapterRuntime";
  app.openAPIRegistry.registerPath(
    createRoute({
      method: "post",
      path: adapterPath,
      operationId: "RunPluginToolAdapterRuntime",
      tags: ["Tools"],
      summary: "Call a tool as a plain HTTP tool: target in the query, input as the body, cfg in a header",
      request: {
        query: AdapterQuery,
        headers: AdapterHeaders,
        body: { required: true, content: { "application/json": { schema: AdapterBody } } },
      },
      responses: {
        200: {
          description: `Success. ${SSE_DESCRIPTION}`,
          content: { "application/json": { schema: dataEnvelope(z.unknown()) }, "text/event-stream": { schema: dataEnvelope(z.unknown()) } },
        },
        ...errorResponses(TOOL_ERRORS),
      },
    }),
  );
  app.post(adapterPath, async (c) => {
    c.set("operation", "RunPluginToolAdapterRuntime");
    const target = parseRequest(AdapterQuery, c.req.query(), "query");
    const { stream, ...input } = parseRequest(AdapterBody, await readJsonBody(bodySource(c), deps.maxBodyBytes));
    return runTool(c, deps, target, JSON.stringify(input), parseCfgHeader(c.req.header("cfg")), stream);
  });
}
