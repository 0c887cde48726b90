// Serves a Hono app on Node's HTTP server and shuts it down gracefully: stop
// accepting, let requests in flight finish for a grace period, then cut the rest.
import type { AddressInfo } from "node:net";
import { serve, type ServerType } from "@hono/node-server";

export interface HttpServer {
  /** The URL it listens on, e.g. http://127.0.0.1:8000. */
  url: string;
  port: number;
  close(graceMs?: number): Promise<void>;
}

export interface Fetchable {
  fetch(request: Request, env: unknown): Response | Promise<Response>;
}

export function listen(app: Fetchable, { host, port }: { host: string; port: number }): Promise<HttpServer> {
  return new Promise((resolve, reject) => {
    let server: ServerType | undefined;
    const onError = (err: Error): void => reject(err);
    server = serve({ fetch: (request, env) => app.fetch(request, env), hostname: host, port }, (info: AddressInfo) => {
      server?.off("error", onError);
      const shown = info.family === "IPv6" ? `[${info.address}]` : info.address;
      resolve({ url: `http://${shown}:${info.port}`, port: info.port, close: (graceMs) => closeServer(server as ServerType, graceMs) });
    });
    server.once("error", onError);
  });
}

function closeServer(server: ServerType, graceMs = 5_000): Promise<void> {
  return new Promise((resolve) => {
    const http = server as ServerType & { closeIdleConnections?: () => void; closeAllConnections?: () => void };
    const timer = setTimeout(() => http.closeAllConnections?.(), graceMs);
    timer.unref();
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    http.closeIdleConnections?.();
  });
}
