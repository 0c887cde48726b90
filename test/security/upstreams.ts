// Fake upstreams on loopback for the network cases. Each counts connections as well as
// requests, so "sent nothing" means not even a TCP handshake reached it.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface CountingUpstream {
  port: number;
  /** `http://127.0.0.1:<port>`. */
  origin: string;
  connections: number;
  requests: string[];
  /** Whether the same port also listens on ::1 (IPv6 loopback may be missing in a container). */
  ipv6: boolean;
  close(): Promise<void>;
}

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

function listenOn(server: Server, port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    server.once("error", () => resolve(false));
    server.listen(port, host, () => resolve(true));
  });
}

/** An upstream on 127.0.0.1 (and ::1 on the same port when it can), counting everything. */
export async function startCountingUpstream(handler: Handler = (_req, res) => res.end("reached")): Promise<CountingUpstream> {
  const state = { connections: 0, requests: [] as string[] };
  const make = (): Server => {
    const server = createServer((req, res) => {
      state.requests.push(`${req.method} ${req.headers.host ?? ""}${req.url ?? ""}`);
      handler(req, res);
    });
    server.on("connection", () => state.connections++);
    return server;
  };
  const v4 = make();
  if (!(await listenOn(v4, 0, "127.0.0.1"))) throw new Error("cannot listen on 127.0.0.1");
  const port = (v4.address() as AddressInfo).port;
  const v6 = make();
  const ipv6 = await listenOn(v6, port, "::1");
  const servers = ipv6 ? [v4, v6] : [v4];
  return {
    port,
    origin: `http://127.0.0.1:${port}`,
    get connections() {
      return state.connections;
    },
    requests: state.requests,
    ipv6,
    close: async () => {
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.closeAllConnections();
              s.close(() => resolve());
            }),
        ),
      );
    },
  };
}
