// Install sources: file:// inside the operator's roots only, http(s) through the guarded download.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { readPackageSource, type PackageSourceOptions } from "../../../host/package/package-source.ts";
import { FetchOptionsSchema } from "../../../sandbox/options.ts";

let root: string;
let packages: string;
let other: string;

beforeEach(async () => {
  root = await realpath(await mkdtemp(path.join(tmpdir(), "package-source-")));
  packages = path.join(root, "packages");
  other = path.join(root, "other");
  await mkdir(path.join(packages, "path"), { recursive: true });
  await mkdir(other);
  await writeFile(path.join(packages, "path", "x.zip"), "zip bytes");
  await writeFile(path.join(other, "secret.zip"), "secret");
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

function options(extra: Partial<PackageSourceOptions> = {}): PackageSourceOptions {
  return { fileRoots: [packages, path.join(root, "second")], maxPackageBytes: 1024, fetch: FetchOptionsSchema.parse({}), ...extra };
}

describe("readPackageSource: file://", () => {
  it("reads an absolute path inside a root", async () => {
    expect((await readPackageSource(`file://${packages}/path/x.zip`, options())).toString()).toBe("zip bytes");
  });

  it("reads the guide's relative form relative to the first root", async () => {
    expect((await readPackageSource("file://path/x.zip", options())).toString()).toBe("zip bytes");
  });

  it("decodes percent-escapes", async () => {
    await writeFile(path.join(packages, "a b.zip"), "spaced");
    expect((await readPackageSource("file://a%20b.zip", options())).toString()).toBe("spaced");
  });

  it("forbids paths outside every root, existing or not", async () => {
    await expect(readPackageSource(`file://${other}/secret.zip`, options())).rejects.toMatchObject({ code: "Forbidden" });
    await expect(readPackageSource(`file://${other}/missing.zip`, options())).rejects.toMatchObject({ code: "Forbidden" });
    await expect(readPackageSource("file://../other/secret.zip", options())).rejects.toMatchObject({ code: "Forbidden" });
    await expect(readPackageSource("file:///etc/passwd", options())).rejects.toMatchObject({ code: "Forbidden" });
  });

  it("forbids a symlink inside a root that points out", async () => {
    await symlink(path.join(other, "secret.zip"), path.join(packages, "link.zip"));
    await expect(readPackageSource("file://link.zip", options())).rejects.toMatchObject({ code: "Forbidden" });
  });

  it("forbids everything when there are no roots", async () => {
    await expect(readPackageSource("file://path/x.zip", options({ fileRoots: [] }))).rejects.toMatchObject({ code: "Forbidden" });
  });

  it("says a missing file inside a root is an invalid request", async () => {
    await expect(readPackageSource("file://path/nope.zip", options())).rejects.toMatchObject({
      code: "InvalidRequest",
      message: "package file not found: file://path/nope.zip",
    });
  });

  it("refuses a folder", async () => {
    await expect(readPackageSource("file://path", options())).rejects.toMatchObject({ code: "InvalidRequest" });
  });

  it("refuses a file larger than max_package_bytes as an invalid package", async () => {
    await writeFile(path.join(packages, "big.zip"), Buffer.alloc(2048));
    await expect(readPackageSource("file://big.zip", options())).rejects.toMatchObject({
      code: "InvalidPackage",
      message: expect.stringMatching(/package larger than 1024 bytes/),
    });
  });
});

describe("readPackageSource: schemes", () => {
  it("says s3:// needs the s3 backend", async () => {
    await expect(readPackageSource("s3://bucket/key.zip", options())).rejects.toMatchObject({
      code: "InvalidRequest",
      message: expect.stringMatching(/s3:\/\/ sources need storage.backend s3/),
    });
  });

  it.each(["ftp://example.com/x.zip", "x.zip", "", "file:x.zip"])("refuses %j", async (uri) => {
    await expect(readPackageSource(uri, options())).rejects.toMatchObject({ code: "InvalidRequest" });
  });
});

describe("readPackageSource: http(s)", () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === "/pkg.zip") res.end("remote zip");
      else if (req.url === "/big.zip") res.end(Buffer.alloc(4096));
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });
  const privateAllowed = () => options({ fetch: FetchOptionsSchema.parse({ allow_private_origins: [base] }) });

  it("downloads through the guarded client", async () => {
    expect((await readPackageSource(`${base}/pkg.zip`, privateAllowed())).toString()).toBe("remote zip");
  });

  it("refuses loopback sources unless the operator allows them", async () => {
    await expect(readPackageSource(`${base}/pkg.zip`, options())).rejects.toMatchObject({ code: "FetchDenied" });
  });

  it("refuses a download larger than max_package_bytes as an invalid package", async () => {
    await expect(readPackageSource(`${base}/big.zip`, privateAllowed())).rejects.toMatchObject({
      code: "InvalidPackage",
      message: expect.stringMatching(/package larger than 1024 bytes/),
    });
  });

  it("reports an HTTP error status as a failed download", async () => {
    await expect(readPackageSource(`${base}/missing.zip`, privateAllowed())).rejects.toMatchObject({ code: "DownloadFailed" });
  });
});
