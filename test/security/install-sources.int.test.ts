// Install sources (SPEC §2 step 1, §9.6): file:// outside the operator's folders, http(s)
// to loopback, link-local and metadata addresses, a redirect into them, oversize and
// slow-loris downloads. Refusals by policy reach nothing (the victim counts TCP
// connections); failures of the source are DownloadFailed or InvalidPackage; nothing
// is left in extensions/.
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pluginZip, zipName, type PluginPackageSpec } from "./hostile-packages.ts";
import { RSS_HEADROOM_BYTES, startSecurityServer, type ApiAnswer, type SecurityServer } from "./security-server.ts";
import { startCountingUpstream, type CountingUpstream } from "./upstreams.ts";

const MAX_PACKAGE_BYTES = 2 * 1024 * 1024;
/** The deadline for a whole download (`package.download_timeout_ms`); the slow-loris case waits it out. */
const DOWNLOAD_DEADLINE_MS = 6_000;

let server: SecurityServer;
let allowed: CountingUpstream;
let victim: CountingUpstream;
let outside: string;
let goodZip: Buffer;
let rssBefore = 0;
let slowInstall: Promise<ApiAnswer> | undefined;
let slowStarted = 0;

const GOOD: PluginPackageSpec = { name: "sec_source", tools: `ok: defineTool({ run: () => "ok" }),` };

beforeAll(async () => {
  goodZip = await pluginZip(GOOD);
  victim = await startCountingUpstream();
  allowed = await startCountingUpstream((req, res) => {
    if (req.url?.split("?")[0] === "/good.zip") return res.writeHead(200, { "content-type": "application/zip" }).end(goodZip);
    if (req.url === "/redirect") return res.writeHead(302, { location: `http://127.0.0.1:${victim.port}/pkg.zip` }).end();
    if (req.url === "/oversize.zip") return res.writeHead(200).end(Buffer.alloc(MAX_PACKAGE_BYTES + 1024, 1));
    if (req.url === "/oversize-chunked.zip") {
      res.writeHead(200, { "content-type": "application/zip" });
      const piece = Buffer.alloc(256 * 1024, 2);
      let sent = 0;
      const pump = (): void => {
        while (sent < MAX_PACKAGE_BYTES * 4) {
          sent += piece.length;
          if (!res.write(piece)) return void res.once("drain", pump);
        }
        res.end();
      };
      res.on("error", () => undefined);
      return pump();
    }
    if (req.url === "/slow-loris.zip") {
      // Headers at once, then a byte every half second: never enough to finish.
      res.writeHead(200, { "content-type": "application/zip" });
      const timer = setInterval(() => res.write("P"), 500);
      res.on("close", () => clearInterval(timer));
      return;
    }
    res.writeHead(404).end();
  });
  server = await startSecurityServer({
    HIAGENT_PACKAGE__MAX_PACKAGE_BYTES: String(MAX_PACKAGE_BYTES),
    HIAGENT_PACKAGE__DOWNLOAD_TIMEOUT_MS: String(DOWNLOAD_DEADLINE_MS),
    HIAGENT_SANDBOX__FETCH__ALLOW_PRIVATE_ORIGINS: JSON.stringify([allowed.origin]),
  });
  outside = await mkdtemp(path.join(tmpdir(), "outside-roots-"));
  await writeFile(path.join(outside, "pkg.zip"), goodZip);
  await server.calculatorWorks();
  rssBefore = server.rss();
  // The slow-loris install (a sync InstallPackage, so its answer carries the code) runs
  // in the background while the other cases run; the slow-sources case waits for it.
  slowStarted = Date.now();
  slowInstall = server.call("admin", "InstallPackage", { uri: `${allowed.origin}/slow-loris.zip`, filename: "slow.zip" });
}, 120_000);

afterAll(async () => {
  await server?.close();
  await allowed?.close();
  await victim?.close();
  if (outside) await rm(outside, { recursive: true, force: true });
});

async function refused(uri: string, code: string, status: number): Promise<string> {
  const before = await server.extensionsTree();
  const res = await server.call("admin", "InstallPackage", { uri, filename: "x.zip" });
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body.error?.code).toBe(code);
  expect(await server.extensionsTree()).toEqual(before);
  // ReadPackageMetadata reads sources the same way.
  const read = await server.call("admin", "ReadPackageMetadata", { uri, filename: "x.zip" });
  expect(read.body.error?.code).toBe(code);
  return res.body.error?.message ?? "";
}

describe("file://", () => {
  it("a file outside package.file_roots is Forbidden, absolute or climbing", async () => {
    await refused(`file://${path.join(outside, "pkg.zip")}`, "Forbidden", 403);
    await refused(`file://../${path.basename(outside)}/pkg.zip`, "Forbidden", 403);
    await refused("file:///etc/passwd", "Forbidden", 403);
  });

  it("a link inside the root that points outside is Forbidden (checked after resolving links)", async () => {
    await mkdir(path.join(server.rt.dir, "links"), { recursive: true });
    await symlink(path.join(outside, "pkg.zip"), path.join(server.rt.dir, "links", "pkg.zip"));
    await refused(`file://${path.join(server.rt.dir, "links", "pkg.zip")}`, "Forbidden", 403);
  });

  it("the same package from inside the root installs (the refusals above are the roots' doing)", async () => {
    expect((await server.install(goodZip, zipName(GOOD))).status).toBe(200);
    expect((await server.call("admin", "DeletePackage", { pkg: GOOD.name, version: "1.0.0" })).status).toBe(200);
  });
});

describe("http(s)://", () => {
  it.each([
    ["loopback", () => `http://127.0.0.1:${victim.port}/pkg.zip`],
    ["loopback, odd spelling", () => `http://2130706433:${victim.port}/pkg.zip`],
    ["IPv6 loopback", () => `http://[::1]:${victim.port}/pkg.zip`],
    ["localhost", () => `http://localhost:${victim.port}/pkg.zip`],
    ["the cloud metadata address", () => "http://169.254.169.254/latest/meta-data/pkg.zip"],
    ["a private network", () => "http://10.0.0.1/pkg.zip"],
  ])("%s is FetchDenied and reaches nothing", async (_label, uri) => {
    const message = await refused(uri(), "FetchDenied", 403);
    expect(message).toMatch(/not a public address/);
    expect(victim.connections).toBe(0);
  });

  it("an allowed source that redirects to a denied address is FetchDenied; the victim sees nothing", async () => {
    await refused(`${allowed.origin}/redirect`, "FetchDenied", 403);
    expect(victim.connections).toBe(0);
  });

  it("an allowed source installs (the refusals above are the address policy's doing)", async () => {
    const res = await server.call("admin", "InstallPackage", { uri: `${allowed.origin}/good.zip`, filename: "good.zip" });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect((await server.call("admin", "DeletePackage", { pkg: GOOD.name, version: "1.0.0" })).status).toBe(200);
  });

  it.each(["/oversize.zip", "/oversize-chunked.zip"])("a download over max_package_bytes (%s) is refused as InvalidPackage", async (p) => {
    expect(await refused(`${allowed.origin}${p}`, "InvalidPackage", 422)).toMatch(/larger than/);
  });
});

describe("slow sources", () => {
  it(
    "a slow-loris download fails with DownloadFailed at the download deadline, leaving nothing",
    async () => {
      const res = await (slowInstall as Promise<ApiAnswer>);
      const elapsed = Date.now() - slowStarted;
      expect(res.status).toBe(502);
      expect(res.body.error?.code).toBe("DownloadFailed");
      expect(allowed.requests.some((r) => r.endsWith("/slow-loris.zip"))).toBe(true);
      // It ran into the deadline (bytes kept coming), and not much past it.
      expect(elapsed).toBeGreaterThanOrEqual(DOWNLOAD_DEADLINE_MS);
      expect(elapsed).toBeLessThan(DOWNLOAD_DEADLINE_MS + 15_000);
      const tree = await server.extensionsTree();
      expect(tree.filter((p) => !p.startsWith("calculator") && p.includes(path.sep))).toEqual([]);
    },
    DOWNLOAD_DEADLINE_MS + 30_000,
  );
});

describe("aftermath", () => {
  it("the sandbox is up, the calculator answers and the server's memory came back", async () => {
    await server.sandboxUp();
    await server.calculatorWorks();
    expect(victim.connections).toBe(0);
    expect(server.rss() - rssBefore).toBeLessThan(RSS_HEADROOM_BYTES);
  });
});

describe("what ListPackages shows", () => {
  it("an invoke token sees an install URI without its query string (a presigned URL's credentials); the admin sees it whole", async () => {
    const uri = `${allowed.origin}/good.zip?X-Amz-Credential=AKIAEXAMPLE&X-Amz-Signature=presigned-secret`;
    const installed = await server.call("admin", "InstallPackage", { uri, filename: "good.zip" });
    expect(installed.status, JSON.stringify(installed.body.error)).toBe(200);
    const forTenant = await server.call<{ name: string; uri: string }[]>("a", "ListPackages", {});
    const seen = forTenant.body.data.find((m) => m.name === GOOD.name);
    expect(seen?.uri).toBe(`${allowed.origin}/good.zip`);
    expect(JSON.stringify(forTenant.body)).not.toContain("presigned-secret");
    const forAdmin = await server.call<{ name: string; uri: string }[]>("admin", "ListPackages", {});
    expect(forAdmin.body.data.find((m) => m.name === GOOD.name)?.uri).toBe(uri);
  });
});
