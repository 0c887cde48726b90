// One structured log line per request: id, method, operation, tenant, status, duration,
// a tool call's resource receipt and serving version, and for failures the error code. Server-side
// failures log at warn/error. The same facts feed the request metrics, when there are any.
import type { MiddlewareHandler } from "hono";
import type { RuntimeMetrics } from "../metrics/index.ts";
import type { Logger } from "../logging/logger.ts";
import type { AppEnv } from "./app-env.ts";
import { principalOf } from "./tenant.ts";

export interface RequestMetrics {
  metrics: RuntimeMetrics;
  /** The operation a request counts under when no handler named one (e.g. refused before it ran); undefined for an unknown route. */
  operationOf(path: string): string | undefined;
}

export function accessLog(logger: Logger, requestMetrics?: RequestMetrics): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    await next();
    const status = c.res.status;
    const fields = {
      req_id: c.get("requestId"),
      method: c.req.method,
      path: c.req.path,
      operation: c.get("operation"),
      status,
      duration_ms: Math.round((performance.now() - started) * 100) / 100,
      code: c.get("error")?.code,
      tenant: principalOf(c)?.tenant,
      // The call's resource receipt (cpu_ms, wall_ms, heap_peak_bytes, wasm_memory_bytes, fetch_count, fetch_bytes).
      usage: c.get("usage"),
      // Which version served a tool call, and the channel that chose it.
      version: c.get("served")?.version,
      channel: c.get("served")?.channel ?? undefined,
    };
    if (requestMetrics !== undefined) {
      const operation = fields.operation ?? requestMetrics.operationOf(fields.path);
      const code = fields.code ?? (status >= 400 ? `http_${status}` : undefined);
      requestMetrics.metrics.httpRequest(operation, code, fields.duration_ms / 1000);
    }
    if (status >= 500) logger.warn(fields, "request failed");
    else logger.info(fields, "request");
  };
}
