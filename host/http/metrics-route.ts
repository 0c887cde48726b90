// GET /metrics: this node's metrics in the Prometheus text format, for an admin token,
// the metrics token, or a loopback caller of a server without auth (scrape-access.ts).
import type { RuntimeMetrics, ScrapeAccess } from "../metrics/index.ts";
import { SCRAPE_CHALLENGE } from "../metrics/index.ts";
import { RuntimeError } from "../../sandbox/errors.ts";
import { peerAddress } from "./node-request.ts";
import type { ApiApp } from "./operation.ts";

export function mountMetricsRoute(app: ApiApp, metrics: RuntimeMetrics, access: ScrapeAccess): void {
  app.get("/metrics", async (c) => {
    c.set("operation", "Metrics");
    try {
      access.check({ authorization: c.req.header("authorization"), remoteAddress: peerAddress(c) });
    } catch (err) {
      if (err instanceof RuntimeError && err.code === "Unauthorized") c.header("WWW-Authenticate", SCRAPE_CHALLENGE);
      throw err;
    }
    return c.body(await metrics.scrape(), 200, { "content-type": metrics.contentType });
  });
}
