// End-to-end checks of the guarded client against real HTTP servers on 127.0.0.1.
// Every refusal case targets a loopback address only, so a broken check still sends
// nothing off this machine; each asserts the server saw no request at all.
import fs from "node:fs";
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import type { Agent } from "undici";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { RuntimeError } from "../../../sandbox/errors.ts";
import {
  OriginPolicy,
  createGuardedAgent,
  downloadToBuffer,
  guardedFetch,
  type GuardedFetchOptions,
  type GuardedRequest,
  type HostResolver,
} from "../../../sandbox/bridge/index.ts";

interface TestServer {
  origin: string;
  port: number;
  hits: number;
  requests: http.IncomingMessage[];
  url(path?: string): string;
  close(): Promise<void>;
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, server: TestServer) => void;

const servers: TestServer[] = [];
const agents: Agent[] = [];

async function startServer(handler: Handler = (_req, res) => res.end("ok")): Promise<TestServer> {
  const httpServer = http.createServer();
  await new Promise<void>((resolve) => httpServer.listen(0, "127.0.0.1", resolve));
  const { port } = httpServer.address() as AddressInfo;
  const server: TestServer = {
    origin: `http://127.0.0.1:${port}`,
    port,
    hits: 0,
    requests: [],
    url: (path = "/") => `http://127.0.0.1:${port}${path}`,
    close: () =>
      new Promise<void>((resolve) => {
        httpServer.closeAllConnections();
        httpServer.close(() => resolve());
      }),
  };
  httpServer.on("request", (req, res) => {
    server.hits++;
    server.requests.push(req);
    handler(req, res, server);
  });
  servers.push(server);
  return server;
}

function agent(options: Parameters<typeof createGuardedAgent>[0] = {}): Agent {
  const a = createGuardedAgent(options);
  agents.push(a);
  return a;
}

function limits(dispatcher: Agent, overrides: Partial<GuardedFetchOptions> = {}): GuardedFetchOptions {
  return { dispatcher, max_redirects: 5, max_response_bytes: 1024 * 1024, max_request_bytes: 1024 * 1024, timeout_ms: 5_000, ...overrides };
}

async function failure(promise: Promise<unknown>): Promise<RuntimeError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof RuntimeError) return err;
    throw err;
  }
  throw new Error("expected a failure");
}

async function text(request: GuardedRequest, policy: OriginPolicy, options: GuardedFetchOptions): Promise<string> {
  const response = await guardedFetch(request, policy, options);
  return new TextDecoder().decode(await response.body.readAll());
}

afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.destroy()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe("address policy on real connections", () => {
  it("refuses loopback by default and sends nothing", async () => {
    const upstream = await startServer();
    const policy = OriginPolicy.forPackage([upstream.origin], { extra_origins: [], deny_origins: [] });
    const err = await failure(guardedFetch({ url: upstream.url("/x") }, policy, limits(agent())));
    expect(err.code).toBe("FetchDenied");
    expect(err.message).toContain("127.0.0.1 (loopback) is not a public address");
    expect(err.data).toMatchObject({ url: upstream.url("/x"), rule: "address", address: "127.0.0.1" });
    expect(upstream.hits).toBe(0);
  });

  it("refuses odd spellings of loopback too", async () => {
    const upstream = await startServer();
    const policy = OriginPolicy.anyOrigin();
    for (const host of ["0x7f.1", "2130706433", "127.1", "[::ffff:127.0.0.1]"]) {
      const err = await failure(guardedFetch({ url: `http://${host}:${upstream.port}/` }, policy, limits(agent())));
      expect(err.code).toBe("FetchDenied");
      expect(err.data).toMatchObject({ rule: "address" });
    }
    expect(upstream.hits).toBe(0);
  });

  it("allows a private origin listed in allow_private_origins, and only that origin", async () => {
    const allowedUpstream = await startServer((_req, res) => res.end("hello"));
    const other = await startServer();
    const policy = OriginPolicy.forPackage([allowedUpstream.origin, other.origin], { extra_origins: [], deny_origins: [] });
    const dispatcher = agent({ allow_private_origins: [allowedUpstream.origin] });

    expect(await text({ url: allowedUpstream.url("/greet") }, policy, limits(dispatcher))).toBe("hello");
    expect(allowedUpstream.hits).toBe(1);

    const err = await failure(guardedFetch({ url: other.url() }, policy, limits(dispatcher)));
    expect(err.code).toBe("FetchDenied");
    expect(err.data).toMatchObject({ rule: "address" });
    expect(other.hits).toBe(0);
  });

  it("allows every private address with allow_private_network", async () => {
    const upstream = await startServer((_req, res) => res.end("open"));
    const policy = OriginPolicy.anyOrigin();
    expect(await text({ url: upstream.url() }, policy, limits(agent({ allow_private_network: true })))).toBe("open");
  });

  it("refuses a host name that resolves to loopback (localhost)", async () => {
    const upstream = await startServer();
    const url = `http://localhost:${upstream.port}/`;
    const policy = OriginPolicy.forPackage([`http://localhost:${upstream.port}`], { extra_origins: [], deny_origins: [] });
    const err = await failure(guardedFetch({ url }, policy, limits(agent())));
    expect(err.code).toBe("FetchDenied");
    expect(err.message).toMatch(/localhost resolves to (127\.0\.0\.1|::1) \(loopback\)/);
    expect(err.data).toMatchObject({ url, rule: "address", host: "localhost" });
    expect(upstream.hits).toBe(0);
  });

  it("refuses when any address of the answer is private", async () => {
    const upstream = await startServer();
    const resolve: HostResolver = async () => [
      { address: "::1", family: 6 },
      { address: "127.0.0.1", family: 4 },
    ];
    const url = `http://mixed.test:${upstream.port}/`;
    const err = await failure(guardedFetch({ url }, OriginPolicy.anyOrigin(), limits(agent({ resolve }))));
    expect(err.data).toMatchObject({ rule: "address", host: "mixed.test" });
    expect(upstream.hits).toBe(0);
  });

  it("connects to the address it checked, keeping the name in the Host header", async () => {
    const upstream = await startServer((req, res) => res.end(req.headers.host));
    let lookups = 0;
    const resolve: HostResolver = async () => {
      lookups++;
      return [{ address: "127.0.0.1", family: 4 }];
    };
    const origin = `http://upstream.test:${upstream.port}`;
    const dispatcher = agent({ resolve, allow_private_origins: [origin] });
    // upstream.test exists only in our resolver: reaching the server proves the
    // connection went to the resolved (and checked) address, not a second lookup.
    expect(await text({ url: `${origin}/` }, OriginPolicy.anyOrigin(), limits(dispatcher))).toBe(`upstream.test:${upstream.port}`);
    expect(lookups).toBe(1);
  });

  it("reports an unreachable upstream as DownloadFailed", async () => {
    const closed = await startServer();
    await closed.close();
    const err = await failure(guardedFetch({ url: closed.url() }, OriginPolicy.anyOrigin(), limits(agent({ allow_private_network: true }))));
    expect(err.code).toBe("DownloadFailed");
    expect(err.message).toContain("ECONNREFUSED");
  });
});

describe("TLS to the checked address", () => {
  const fixture = (name: string): Buffer => fs.readFileSync(new URL(`./fixtures/${name}`, import.meta.url));

  it("sends SNI for, and verifies the certificate against, the host name", async () => {
    const cert = fixture("secure-test.cert.pem");
    const server = https.createServer({ key: fixture("secure-test.key.pem"), cert }, (req, res) => res.end(`secure ${req.headers.host}`));
    let sni: unknown;
    server.on("secureConnection", (socket: { servername?: unknown }) => {
      sni = socket.servername;
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const resolve: HostResolver = async () => [{ address: "127.0.0.1", family: 4 }];
      const options = limits(agent({ resolve, allow_private_network: true, tls: { ca: cert } }));

      expect(await text({ url: `https://secure.test:${port}/` }, OriginPolicy.anyOrigin(), options)).toBe(`secure secure.test:${port}`);
      expect(sni).toBe("secure.test");

      const wrongName = await failure(guardedFetch({ url: `https://other.test:${port}/` }, OriginPolicy.anyOrigin(), options));
      expect(wrongName.message).toContain("ERR_TLS_CERT_ALTNAME_INVALID");
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe("redirects", () => {
  it("refuses a hop to a loopback port that is not allowed, before sending anything there", async () => {
    const target = await startServer();
    const start = await startServer((_req, res) => {
      res.writeHead(302, { location: target.url("/next") });
      res.end();
    });
    const policy = OriginPolicy.forPackage([start.origin, target.origin], { extra_origins: [], deny_origins: [] });
    const err = await failure(guardedFetch({ url: start.url() }, policy, limits(agent({ allow_private_origins: [start.origin] }))));
    expect(err.code).toBe("FetchDenied");
    expect(err.data).toMatchObject({ url: target.url("/next"), rule: "address" });
    expect(start.hits).toBe(1);
    expect(target.hits).toBe(0);
  });

  it("refuses a hop to an origin outside the package's list", async () => {
    const target = await startServer();
    const start = await startServer((_req, res) => {
      res.writeHead(307, { location: target.url("/elsewhere") });
      res.end();
    });
    const policy = OriginPolicy.forPackage([start.origin], { extra_origins: [], deny_origins: [] });
    const dispatcher = agent({ allow_private_network: true });
    const err = await failure(guardedFetch({ url: start.url() }, policy, limits(dispatcher)));
    expect(err.data).toMatchObject({ rule: "origin", url: target.url("/elsewhere") });
    expect(target.hits).toBe(0);
  });

  it("refuses a redirect to file: or data:", async () => {
    for (const location of ["file:///etc/passwd", "data:text/plain,hi"]) {
      const start = await startServer((_req, res) => {
        res.writeHead(302, { location });
        res.end();
      });
      const err = await failure(guardedFetch({ url: start.url() }, OriginPolicy.anyOrigin(), limits(agent({ allow_private_network: true }))));
      expect(err.code).toBe("FetchDenied");
      expect(err.message).toContain("scheme is not allowed");
    }
  });

  it("follows allowed hops, rewriting POST to GET on 303 and dropping credentials across origins", async () => {
    const target = await startServer((req, res) => res.end(`${req.method} ${req.url}`));
    const start = await startServer((_req, res) => {
      res.writeHead(303, { location: target.url("/done") });
      res.end();
    });
    const policy = OriginPolicy.forPackage([start.origin, target.origin], { extra_origins: [], deny_origins: [] });
    const response = await guardedFetch(
      { url: start.url("/form"), method: "POST", body: "a=1", headers: { authorization: "Bearer secret", "x-trace": "t1" } },
      policy,
      limits(agent({ allow_private_network: true })),
    );
    expect(response).toMatchObject({ status: 200, redirected: true, url: target.url("/done") });
    expect(new TextDecoder().decode(await response.body.readAll())).toBe("GET /done");
    expect(start.requests[0]?.headers.authorization).toBe("Bearer secret");
    expect(target.requests[0]?.headers.authorization).toBeUndefined();
    expect(target.requests[0]?.headers["x-trace"]).toBe("t1");
  });

  it("stops after max_redirects hops", async () => {
    const loop = await startServer((req, res, self) => {
      res.writeHead(302, { location: self.url(`/r${self.hits}`) });
      res.end();
    });
    const err = await failure(
      guardedFetch({ url: loop.url("/r0") }, OriginPolicy.anyOrigin(), limits(agent({ allow_private_network: true }), { max_redirects: 3 })),
    );
    expect(err.code).toBe("FetchDenied");
    expect(err.message).toContain("more than 3 redirects");
    expect(loop.hits).toBe(4);
  });

  it("returns the 3xx itself in manual mode", async () => {
    const start = await startServer((_req, res) => {
      res.writeHead(302, { location: "/elsewhere" });
      res.end();
    });
    const response = await guardedFetch({ url: start.url(), redirect: "manual" }, OriginPolicy.anyOrigin(), limits(agent({ allow_private_network: true })));
    expect(response.status).toBe(302);
    expect(response.headers).toContainEqual(["location", "/elsewhere"]);
    expect(response.redirected).toBe(false);
  });
});

describe("bodies, headers and limits", () => {
  const open = (): GuardedFetchOptions => limits(agent({ allow_private_network: true }));

  it("streams the body and errors the stream past max_response_bytes", async () => {
    const upstream = await startServer((_req, res) => {
      const chunk = Buffer.alloc(1000, 97);
      let sent = 0;
      const timer = setInterval(() => {
        if (sent++ >= 10) {
          clearInterval(timer);
          res.end();
          return;
        }
        res.write(chunk);
      }, 5);
      res.on("close", () => clearInterval(timer));
    });
    const response = await guardedFetch({ url: upstream.url() }, OriginPolicy.anyOrigin(), { ...open(), max_response_bytes: 2500 });
    const received: number[] = [];
    let error: unknown;
    try {
      for await (const chunk of response.body) received.push(chunk.byteLength);
    } catch (err) {
      error = err;
    }
    expect(received.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(2500);
    expect(received.length).toBeGreaterThan(0);
    expect(error).toBeInstanceOf(RuntimeError);
    expect((error as RuntimeError).code).toBe("FetchDenied");
    expect((error as RuntimeError).message).toContain("response larger than 2500 bytes");
  });

  it("reads a body under the cap whole", async () => {
    const upstream = await startServer((_req, res) => res.end("x".repeat(2000)));
    const response = await guardedFetch({ url: upstream.url() }, OriginPolicy.anyOrigin(), { ...open(), max_response_bytes: 2000 });
    expect((await response.body.readAll()).byteLength).toBe(2000);
    expect(response.body.bytesRead).toBe(2000);
  });

  it("cuts a slow-loris upstream at the overall deadline", async () => {
    const upstream = await startServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.flushHeaders();
      // One byte every 50 ms: never idle long enough for an idle timeout.
      const timer = setInterval(() => res.write("."), 50);
      res.on("close", () => clearInterval(timer));
    });
    const started = Date.now();
    const response = await guardedFetch({ url: upstream.url() }, OriginPolicy.anyOrigin(), { ...open(), timeout_ms: 400 });
    const err = await failure(response.body.readAll());
    expect(err.code).toBe("FetchDenied");
    expect(err.message).toContain("took longer than 400 ms");
    expect(err.data).toMatchObject({ rule: "timeout" });
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it("times out an upstream that never answers", async () => {
    const upstream = await startServer(() => undefined);
    const err = await failure(guardedFetch({ url: upstream.url() }, OriginPolicy.anyOrigin(), { ...open(), timeout_ms: 300 }));
    expect(err.data).toMatchObject({ rule: "timeout" });
  });

  it("aborts with the caller's signal, before headers and while streaming", async () => {
    const silent = await startServer(() => undefined);
    const before = new AbortController();
    const pending = guardedFetch({ url: silent.url(), signal: before.signal }, OriginPolicy.anyOrigin(), open());
    setTimeout(() => before.abort(new Error("caller gave up")), 50);
    await expect(pending).rejects.toThrow("caller gave up");

    const trickle = await startServer((_req, res) => {
      res.write("start");
      const timer = setInterval(() => res.write("."), 20);
      res.on("close", () => clearInterval(timer));
    });
    const during = new AbortController();
    const response = await guardedFetch({ url: trickle.url(), signal: during.signal }, OriginPolicy.anyOrigin(), open());
    setTimeout(() => during.abort(new Error("call ended")), 50);
    await expect(response.body.readAll()).rejects.toThrow("call ended");

    const already = new AbortController();
    already.abort(new Error("too late"));
    await expect(guardedFetch({ url: trickle.url(), signal: already.signal }, OriginPolicy.anyOrigin(), open())).rejects.toThrow("too late");
    expect(trickle.hits).toBe(1);
  });

  it.each(["file:///etc/passwd", "data:text/plain,hello", "blob:http://127.0.0.1/x", "ftp://127.0.0.1/x"])(
    "refuses %s without touching the network",
    async (url) => {
      const err = await failure(guardedFetch({ url }, OriginPolicy.anyOrigin(), open()));
      expect(err.code).toBe("FetchDenied");
      expect(err.data).toMatchObject({ url, rule: "origin" });
    },
  );

  it("refuses host, connection, transfer-encoding and a lying content-length", async () => {
    const upstream = await startServer();
    const policy = OriginPolicy.anyOrigin();
    const refused: Record<string, string>[] = [{ host: "evil.example" }, { connection: "upgrade" }, { "transfer-encoding": "chunked" }, { "content-length": "99" }];
    for (const headers of refused) {
      const err = await failure(guardedFetch({ url: upstream.url(), method: "POST", body: "abc", headers }, policy, open()));
      expect(err.code).toBe("FetchDenied");
      expect(err.data).toMatchObject({ rule: "request" });
    }
    expect(upstream.hits).toBe(0);
  });

  it("sends a truthful content-length, drops hop-by-hop request headers, and strips them from responses", async () => {
    const upstream = await startServer((req, res) => {
      res.setHeader("connection", "keep-alive, x-hop");
      res.setHeader("keep-alive", "timeout=5");
      res.setHeader("x-hop", "1");
      res.setHeader("set-cookie", ["a=1", "b=2"]);
      res.end(JSON.stringify(req.headers));
    });
    const response = await guardedFetch(
      {
        url: upstream.url(),
        method: "post",
        body: "abc",
        headers: [
          ["Content-Length", "3"],
          ["Keep-Alive", "timeout=99"],
          ["Upgrade", "websocket"],
          ["Proxy-Authorization", "Basic eA=="],
          ["X-Custom", "yes"],
        ],
      },
      OriginPolicy.anyOrigin(),
      open(),
    );
    const seen = JSON.parse(new TextDecoder().decode(await response.body.readAll())) as Record<string, string>;
    expect(upstream.requests[0]?.method).toBe("POST");
    expect(seen["content-length"]).toBe("3");
    expect(seen["x-custom"]).toBe("yes");
    expect(seen["upgrade"]).toBeUndefined();
    expect(seen["proxy-authorization"]).toBeUndefined();
    expect(seen["keep-alive"]).toBeUndefined();
    const names = response.headers.map(([name]) => name);
    expect(names).not.toContain("connection");
    expect(names).not.toContain("keep-alive");
    expect(names).not.toContain("x-hop");
    expect(response.headers.filter(([name]) => name === "set-cookie")).toEqual([
      ["set-cookie", "a=1"],
      ["set-cookie", "b=2"],
    ]);
  });

  it("refuses a request body over max_request_bytes", async () => {
    const upstream = await startServer();
    const err = await failure(
      guardedFetch({ url: upstream.url(), method: "PUT", body: new Uint8Array(11) }, OriginPolicy.anyOrigin(), { ...open(), max_request_bytes: 10 }),
    );
    expect(err.message).toContain("request body larger than 10 bytes");
    expect(upstream.hits).toBe(0);
  });
});

describe("downloadToBuffer", () => {
  let upstream: TestServer;
  beforeAll(async () => {
    upstream = await startServer((req, res) => {
      if (req.url === "/pkg.zip") res.end(Buffer.alloc(3000, 1));
      else if (req.url === "/slow") {
        res.write("x");
        const timer = setInterval(() => res.write("x"), 30);
        res.on("close", () => clearInterval(timer));
      } else {
        res.writeHead(404);
        res.end("nope");
      }
    });
    // Kept for the whole block rather than closed after each test.
    servers.splice(servers.indexOf(upstream), 1);
  });
  afterAll(async () => upstream.close());

  it("refuses a loopback source by default, sending nothing", async () => {
    const hitsBefore = upstream.hits;
    const err = await failure(downloadToBuffer(upstream.url("/pkg.zip"), { maxBytes: 10_000, timeoutMs: 2_000 }));
    expect(err.code).toBe("FetchDenied");
    expect(upstream.hits).toBe(hitsBefore);
  });

  it("downloads from an allowed private origin", async () => {
    const bytes = await downloadToBuffer(upstream.url("/pkg.zip"), { maxBytes: 10_000, timeoutMs: 2_000, allowPrivateOrigins: [upstream.origin] });
    expect(bytes.byteLength).toBe(3000);
    expect(Buffer.isBuffer(bytes)).toBe(true);
  });

  it("reports HTTP errors, oversize bodies and timeouts as DownloadFailed", async () => {
    const allow = { allowPrivateNetwork: true };
    const notFound = await failure(downloadToBuffer(upstream.url("/missing"), { maxBytes: 10_000, timeoutMs: 2_000, ...allow }));
    expect(notFound.code).toBe("DownloadFailed");
    expect(notFound.message).toContain("HTTP 404");

    const tooBig = await failure(downloadToBuffer(upstream.url("/pkg.zip"), { maxBytes: 1000, timeoutMs: 2_000, ...allow }));
    expect(tooBig.code).toBe("DownloadFailed");
    expect(tooBig.message).toContain("larger than 1000 bytes");

    const slow = await failure(downloadToBuffer(upstream.url("/slow"), { maxBytes: 1_000_000, timeoutMs: 300, ...allow }));
    expect(slow.code).toBe("DownloadFailed");
    expect(slow.message).toContain("took longer than 300 ms");
  });

  it("reports an unreachable source as DownloadFailed and file: as FetchDenied", async () => {
    const closed = await startServer();
    await closed.close();
    const refused = await failure(downloadToBuffer(closed.url("/x"), { maxBytes: 1000, timeoutMs: 2_000, allowPrivateNetwork: true }));
    expect(refused.code).toBe("DownloadFailed");
    const file = await failure(downloadToBuffer("file:///etc/passwd", { maxBytes: 1000, timeoutMs: 2_000 }));
    expect(file.code).toBe("FetchDenied");
  });
});
