// A runtime for the MCP tests: the real server (HTTP, sandbox processes) with bearer
// tokens for an operator and a tenant, the conformance example package and a package
// of tools for the cases (structured output, a scalar output, streaming, a tool that
// runs until stopped, the same tool name in two plugins, a plugin that needs a config),
// and an official SDK client
// for any protocol revision.
import path from "node:path";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { mintToken } from "../../host/auth/index.ts";
import { zipFiles, zipFolder } from "../host/package/zip-fixtures.ts";
import { startSecurityServer, type SecurityServer } from "../security/security-server.ts";

export const REVISIONS = ["2025-06-18", "2025-11-25", "2026-07-28"] as const;
export type Revision = (typeof REVISIONS)[number];

export const CONFORMANCE_DIR = path.resolve(import.meta.dirname, "../../examples/mcp_conformance");

const TOOLS_SOURCE = `
import { definePlugin, defineTool, PluginError, z } from "hiagent-plugin-sdk";
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
export default [
  definePlugin({
    name: "Alpha",
    tools: {
      echo: defineTool({
        title: "Echo",
        description: "Returns its input and the tenant",
        annotations: { readOnlyHint: true, openWorldHint: false },
        input: z.object({ text: z.string() }),
        output: z.object({ text: z.string(), tenant: z.string() }),
        run: (input, ctx) => ({ text: input.text, tenant: ctx.tenant }),
      }),
      add: defineTool({
        description: "a + b",
        input: z.object({ a: z.number(), b: z.number() }),
        output: z.number(),
        run: ({ a, b }) => a + b,
      }),
      count: defineTool({
        description: "Streams {i} for i < n",
        input: z.object({ n: z.number().int().min(0).max(100) }),
        stream: true,
        async *run({ n }, ctx) {
          for (let i = 0; i < n; i++) {
            ctx.log.debug("chunk " + i);
            yield { i };
          }
        },
      }),
      forever: defineTool({
        description: "Logs tick <tag> every 20 ms until stopped",
        input: z.object({ tag: z.string() }),
        async run({ tag }, ctx) {
          while (!ctx.signal.aborted) {
            ctx.log.warn("tick " + tag);
            await sleep(20);
          }
          return "stopped";
        },
      }),
      fails: defineTool({
        description: "Throws a PluginError",
        run: () => { throw new PluginError("nope", { data: { why: "testing" } }); },
      }),
    },
  }),
  definePlugin({
    name: "Keyed",
    config: z.object({ account: z.string().min(3) }),
    tools: {
      whoami: defineTool({ description: "Which key the call runs with", run: (_input, ctx) => ({ key_suffix: ctx.cfg.account.slice(-3), tenant: ctx.tenant }) }),
    },
  }),
  definePlugin({
    name: "Beta",
    tools: {
      echo: defineTool({ input: z.object({ text: z.string() }), run: ({ text }) => "beta:" + text }),
    },
  }),
];
`;

export async function toolsPackageZip(version = "1.0.0"): Promise<Buffer> {
  const manifest = JSON.stringify({ name: "mcp_tools", version, type: "module", hiagent: { entry: "src/index.ts", permissions: { fetch: [] } } });
  return zipFiles({ "package.json": manifest, "src/index.ts": TOOLS_SOURCE });
}

export interface McpServerFixture {
  server: SecurityServer;
  url(path?: string): string;
  /** A connected SDK client for `revision` acting as `as` (the tenant's invoke token by default). */
  connect(revision: Revision, path?: string, options?: { as?: "admin" | "a" | "b"; headers?: Record<string, string> }): Promise<Client>;
  close(): Promise<void>;
}

export async function startMcpServer(env: Record<string, string> = {}): Promise<McpServerFixture> {
  const server = await startSecurityServer({ HIAGENT_SANDBOX__TIMEOUT_MS: "10000", ...env }, { captureLogs: true });
  for (const [zip, file] of [
    [await zipFolder(CONFORMANCE_DIR), "mcp_conformance.zip"],
    [await toolsPackageZip("1.0.0"), "mcp_tools-1.0.0.zip"],
    [await toolsPackageZip("1.1.0"), "mcp_tools-1.1.0.zip"],
  ] as const) {
    const res = await server.install(zip, file);
    if (res.status !== 200) throw new Error(`install ${file}: ${JSON.stringify(res.body)}`);
  }
  const url = (p = "/mcp") => `${server.rt.url}${p}`;
  const clients: Client[] = [];
  return {
    server,
    url,
    async connect(revision, p = "/mcp", options = {}) {
      const client = newClient(revision);
      const headers = { authorization: `Bearer ${server.tokens[options.as ?? "a"]}`, ...options.headers };
      await client.connect(new StreamableHTTPClientTransport(new URL(url(p)), { requestInit: { headers } }));
      clients.push(client);
      return client;
    },
    async close() {
      await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
      await server.close();
    },
  };
}

export function newClient(revision: Revision): Client {
  const info = { name: "mcp-test-client", version: "1.0.0" };
  if (revision === "2026-07-28") return new Client(info, { versionNegotiation: { mode: { pin: revision } } });
  return new Client(info, { supportedProtocolVersions: [revision] });
}

export { mintToken };
