// Two API nodes over one Redis (and one S3) answering one MCP client alternately: the
// endpoints keep no session, so the handshake on one node and every later request on
// whichever node gets it just work, for the 2025 and 2026 revisions alike.
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { afterAll, beforeAll, expect, it } from "vitest";
import { TestCluster } from "../cluster/cluster-harness.ts";
import { writeGreeter, type PackageFile } from "../cluster/cluster-packages.ts";
import type { NodeProcess } from "../cluster/node-process.ts";
import { newClient, type Revision } from "./mcp-fixture.ts";

let cluster: TestCluster;
let a: NodeProcess;
let b: NodeProcess;
let pkg: PackageFile;

beforeAll(async () => {
  cluster = await TestCluster.start("mcp");
  [a, b] = await Promise.all([cluster.api("api-a"), cluster.api("api-b"), cluster.worker("worker-1")]);
  pkg = await writeGreeter(cluster.drops, "greeter_mcp", "1.0.0");
  const installed = await a.call("InstallPackage", { uri: pkg.uri, filename: "greeter.zip", force: false });
  expect(installed.error).toBeNull();
}, 180_000);

afterAll(async () => {
  await cluster?.close();
}, 60_000);

/** A client whose every HTTP request goes to the other node than the one before. */
async function alternatingClient(revision: Revision): Promise<{ client: Client; sent: string[] }> {
  const nodes = [a.url, b.url];
  const sent: string[] = [];
  let next = 0;
  const fetchAlternating = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const origin = nodes[next++ % nodes.length]!;
    sent.push(origin);
    const url = new URL(typeof input === "string" || input instanceof URL ? input : input.url);
    return fetch(`${origin}${url.pathname}${url.search}`, init);
  };
  const client = newClient(revision);
  await client.connect(new StreamableHTTPClientTransport(new URL(`${a.url}/mcp/${pkg.name}`), { fetch: fetchAlternating }));
  return { client, sent };
}

const served = (node: NodeProcess) => node.logged("request", (l) => l.path === `/mcp/${pkg.name}` && l.status === 200).length;

it.each(["2025-11-25", "2026-07-28"] as const)("serves one %s client from both nodes in turn", async (revision) => {
  const before = [served(a), served(b)];
  const { client, sent } = await alternatingClient(revision);
  try {
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(["greet"]);
    for (const who of ["A", "B", "C", "D"]) {
      const result = await client.callTool({ name: "greet", arguments: { who } });
      expect(result.structuredContent).toMatchObject({ text: `hello ${who}`, version: "1.0.0" });
    }
  } finally {
    await client.close();
  }
  expect(new Set(sent)).toEqual(new Set([a.url, b.url]));
  // Both nodes answered some of this client's requests.
  expect(served(a)).toBeGreaterThan(before[0]!);
  expect(served(b)).toBeGreaterThan(before[1]!);
}, 60_000);
