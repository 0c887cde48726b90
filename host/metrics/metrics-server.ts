// A worker's own GET /metrics (`worker.metrics_port`): a bare Node HTTP server, as a
// worker serves no API, with the same scrape rules as an API node.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { RuntimeError, ERROR_CODES } from "../../sandbox/errors.ts";
import type { RuntimeMetrics } from "./runtime-metrics.ts";
import { SCRAPE_CHALLENGE, type ScrapeAccess } from "./scrape-access.ts";

export interface MetricsServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export function serveMetrics(metrics: RuntimeMetrics, access: ScrapeAccess, { host, port }: { host: string; port: number }): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const answer = (status: number, body: string, headers: Record<string, string>): void => {
      res.writeHead(status, headers).end(body);
    };
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" || path !== "/metrics") {
      answer(404, JSON.stringify({ data: null, error: { code: "InvalidRequest", message: "only GET /metrics is served here", http_code: 404 } }), { "content-type": "application/json" });
      return;
    }
    try {
      access.check({ authorization: req.headers.authorization, remoteAddress: req.socket.remoteAddress });
    } catch (err) {
      const e = err instanceof RuntimeError ? err : new RuntimeError("Internal", "scrape check failed");
      const status = ERROR_CODES[e.code].status;
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (e.code === "Unauthorized") headers["www-authenticate"] = SCRAPE_CHALLENGE;
      answer(status, JSON.stringify({ data: null, error: { code: e.code, message: e.message, http_code: status } }), headers);
      return;
    }
    metrics.scrape().then(
      (text) => answer(200, text, { "content-type": metrics.contentType }),
      () => answer(500, "", {}),
    );
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      const info = server.address() as AddressInfo;
      const shown = info.family === "IPv6" ? `[${info.address}]` : info.address;
      resolve({
        url: `http://${shown}:${info.port}`,
        port: info.port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
