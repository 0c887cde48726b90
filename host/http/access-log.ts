// One structured log line per request: id, method, operation, status, duration, and
// for failures the error code. Server-side failures log at warn/error.
import type { MiddlewareHandler } from "hono";
import type { Logger } from "../logging/logger.ts";
import type { AppEnv } from "./app-env.ts";

export function accessLog(logger: Logger): MiddlewareHandler<AppEnv> {
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
      cpu_ms: c.get("usage")?.cpu_ms,
    };
    if (status >= 500) logger.warn(fields, "request failed");
    else logger.info(fields, "request");
  };
}
