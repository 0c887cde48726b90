// The baseline server of bench/http: a bare Hono route on @hono/node-server that reads
// the same RunPluginTool body and answers the same JSON envelope the runtime answers
// for the echo tool, with nothing in between (no validation, lookup, sandbox or log).
// Run by the benchmark in its own process: node --import tsx bare-route-server.ts <port>
import { serve } from "@hono/node-server";
import { Hono } from "hono";

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0) throw new Error("usage: bare-route-server.ts <port>");

const app = new Hono();
app.post("/v1/RunPluginTool", async (c) => {
  const body = (await c.req.json()) as { input?: { text?: unknown } };
  return c.json({ data: { text: body.input?.text }, error: null });
});

const server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port });
process.on("SIGTERM", () => server.close(() => process.exit(0)));
