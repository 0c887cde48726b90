// The Hono app of the /v1 API: request ids, access log, every operation, health,
// /openapi.json and /docs from the same schemas, the web console at /console, and the
// one place where errors become responses.
import { OpenAPIHono } from "@hono/zod-openapi";
import { requestId } from "hono/request-id";
import { RuntimeError } from "../../sandbox/errors.ts";
import type { AuthOptions } from "../auth/index.ts";
import type { McpConfig } from "../config/index.ts";
import { mountMcp } from "../mcp/index.ts";
import { accessLog } from "./access-log.ts";
import type { ApiDeps } from "./api-deps.ts";
import { authMiddleware } from "./auth-middleware.ts";
import type { AppEnv } from "./app-env.ts";
import { toClientError } from "./client-error.ts";
import { JSON_HEADERS, respondError } from "./envelope.ts";
import { mountConsoleRoute } from "./console-route.ts";
import { mountDocsRoute } from "./docs-route.ts";
import { mountHealthRoute } from "./health-route.ts";
import { mountPluginIconRoute } from "./plugin-icon-route.ts";
import { mountMetricsRoute } from "./metrics-route.ts";
import type { ApiApp } from "./operation.ts";
import { mountPackageOperations } from "./package-operations.ts";
import { mountTenancyOperations } from "./tenancy-operations.ts";
import { mountPluginConfigOperations } from "./plugin-config-operations.ts";
import { mountToolSchemaOperations } from "./tool-schema-operations.ts";
import { mountToolOperations } from "./tool-operations.ts";
import { mountJobListOperations } from "./job-list-operations.ts";
import { mountUploadOperation } from "./upload-operation.ts";

export const API_TITLE = "HiAgent plugin runtime";

/** `auth` is required (undefined = an open server), so no caller can drop it by accident. */
export function createHttpApp(deps: ApiDeps, info: { version: string; auth: AuthOptions | undefined; mcp: McpConfig }): ApiApp {
  const app: ApiApp = new OpenAPIHono<AppEnv>();
  app.use(requestId({ limitLength: 128 }));
  // Operation names for requests refused before a handler named theirs; filled once every route is mounted.
  let known: ReadonlySet<string> = new Set();
  const operationOf = (path: string): string | undefined => {
    if (path === "/mcp" || path.startsWith("/mcp/")) return "mcp";
    return known.has(path) ? (path === "/v1/health" ? "Health" : path.slice("/v1/".length)) : undefined;
  };
  app.use(accessLog(deps.logger, deps.metrics === undefined ? undefined : { metrics: deps.metrics.registry, operationOf }));
  app.use("/v1/*", authMiddleware(info.auth));
  if (info.auth !== undefined) app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", { type: "http", scheme: "bearer" });

  mountPackageOperations(app, deps);
  mountJobListOperations(app, deps);
  mountUploadOperation(app, deps);
  mountToolOperations(app, deps);
  mountTenancyOperations(app, deps);
  mountPluginConfigOperations(app, deps);
  mountToolSchemaOperations(app, deps);
  mountHealthRoute(app, deps);
  mountPluginIconRoute(app, deps);
  if (deps.metrics !== undefined) mountMetricsRoute(app, deps.metrics.registry, deps.metrics.access);
  mountMcp(app, { packages: deps.packages, tools: deps.tools, channels: deps.channels, version: info.version }, { auth: info.auth, config: info.mcp, maxBodyBytes: deps.maxBodyBytes });

  let openapi: string | undefined;
  app.get("/openapi.json", (c) => {
    openapi ??= JSON.stringify(
      app.getOpenAPI31Document({
        openapi: "3.1.0",
        info: {
          title: API_TITLE,
          version: info.version,
          description:
            "Install plugin packages and call their tools. Every operation is `POST /v1/<Operation>` with a JSON body " +
            '(read as JSON whatever the Content-Type), answered with `{"data": ..., "error": null}` or ' +
            '`{"data": null, "error": {"code", "message", "data"?, "http_code"}}` and the status `http_code`.',
        },
        ...(info.auth === undefined ? {} : { security: [{ bearerAuth: [] }] }),
      }),
    );
    return c.body(openapi, 200, JSON_HEADERS);
  });
  mountDocsRoute(app, API_TITLE);
  mountConsoleRoute(app);

  const operations = new Set(
    app.routes.filter((r) => r.path.startsWith("/v1/")).map((r) => r.path),
  );
  known = operations;
  app.notFound((c) => {
    if (operations.has(c.req.path)) {
      c.header("Allow", c.req.path === "/v1/health" || c.req.path === "/v1/PluginIcon" ? "GET" : "POST");
      const error = new RuntimeError("InvalidRequest", `method ${c.req.method} is not allowed on ${c.req.path}`);
      c.set("error", error);
      return respondError(c, error, 405);
    }
    const error = new RuntimeError("InvalidRequest", `no such route: ${c.req.method} ${c.req.path}`);
    c.set("error", error);
    return respondError(c, error, 404);
  });

  app.onError((err, c) => {
    const { error, unexpected } = toClientError(err, c.get("requestId"));
    if (unexpected) deps.logger.error({ req_id: c.get("requestId"), err }, "unexpected error");
    c.set("error", error);
    const retryAfter = error.retryAfterS;
    if (retryAfter !== undefined) c.header("Retry-After", String(Math.ceil(retryAfter)));
    return respondError(c, error);
  });
  return app;
}
