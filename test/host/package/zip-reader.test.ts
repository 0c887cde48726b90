// The zip hazards of SPEC §9.7, one fixture each, plus the ordinary cases.
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import JSZip from "jszip";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { RuntimeError } from "../../../sandbox/errors.ts";
import { DEFAULT_ZIP_LIMITS, unpackZip, zipLimitsFor, type ZipLimits } from "../../../host/package/zip-reader.ts";
import { writeRawZip, zipFiles } from "./zip-fixtures.ts";

let root: string;
let dest: string;

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), "zip-reader-"));
  dest = path.join(root, "out");
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function listTree(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { recursive: true })).sort();
  } catch {
    return [];
  }
}

/** Unpacks and returns the InvalidPackage error; fails the test if it unpacks. */
async function rejection(zip: Uint8Array, limits?: ZipLimits): Promise<RuntimeError> {
  try {
    await unpackZip(zip, dest, limits ? { limits } : {});
  } catch (err) {
    expect(err).toBeInstanceOf(RuntimeError);
    const error = err as RuntimeError;
    expect(error.code).toBe("InvalidPackage");
    expect(error.message).not.toContain(root);
    return error;
  }
  throw new Error("expected the zip to be rejected");
}

describe("unpackZip: ordinary packages", () => {
  it("writes every file, keeping folders", async () => {
    const zip = await zipFiles({ "package.json": "{}", "src/index.ts": "export {}", "src/lib/a.ts": "export const a = 1" });
    const written = await unpackZip(zip, dest);
    expect(written.sort()).toEqual(["package.json", "src/index.ts", "src/lib/a.ts"]);
    expect(await readFile(path.join(dest, "src/lib/a.ts"), "utf8")).toBe("export const a = 1");
  });

  it("strips one top-level folder that holds everything, and drops __MACOSX", async () => {
    const zip = new JSZip();
    zip.file("calc/package.json", "{}");
    zip.file("calc/src/index.ts", "x");
    zip.file("__MACOSX/calc/._package.json", "junk");
    const written = await unpackZip(await zip.generateAsync({ type: "uint8array" }), dest);
    expect(written.sort()).toEqual(["package.json", "src/index.ts"]);
    expect(await listTree(dest)).not.toContain("__MACOSX");
  });

  it("keeps two top-level folders as they are", async () => {
    const zip = await zipFiles({ "a/x.txt": "1", "b/y.txt": "2" });
    expect((await unpackZip(zip, dest)).sort()).toEqual(["a/x.txt", "b/y.txt"]);
  });

  it("accepts directory entries", async () => {
    const zip = writeRawZip([{ name: "src/" }, { name: "src/index.ts", data: "x" }, { name: "package.json", data: "{}" }]);
    expect((await unpackZip(zip, dest)).sort()).toEqual(["package.json", "src/index.ts"]);
  });

  it("ties the inflate cap to max_package_bytes", () => {
    expect(zipLimitsFor(50 * 1024 * 1024).maxTotalBytes).toBe(DEFAULT_ZIP_LIMITS.maxTotalBytes);
    expect(zipLimitsFor(1024).maxTotalBytes).toBe(4096);
  });
});

describe("unpackZip: hazardous names", () => {
  const cases: [string, string, RegExp][] = [
    ["zip-slip", "../x.js", /climbs out/],
    ["nested zip-slip", "src/../../x.js", /climbs out/],
    ["absolute path", "/etc/x", /absolute path/],
    ["backslash", "a\\..\\x", /backslash/],
    ["drive letter", "C:/x", /drive letter/],
    ["NUL byte", "a\0.js", /NUL/],
    ["empty segment", "src//x.js", /empty/],
  ];
  for (const [label, name, message] of cases) {
    it(`rejects ${label} (${JSON.stringify(name)})`, async () => {
      const zip = writeRawZip([{ name: "package.json", data: "{}" }, { name, data: "pwned" }]);
      const error = await rejection(zip);
      expect(error.message).toMatch(message);
      expect(error.message).toContain(JSON.stringify(name));
      expect(await listTree(root)).not.toContain("x.js");
    });
  }

  it("rejects a symbolic link entry (unix mode 0o120777)", async () => {
    const zip = new JSZip();
    zip.file("package.json", "{}");
    zip.file("link", "/etc/passwd", { unixPermissions: 0o120777 });
    const bytes = await zip.generateAsync({ type: "uint8array", platform: "UNIX" });
    expect((await rejection(bytes)).message).toMatch(/"link" is a symbolic link/);
  });

  it("rejects a repeated name (which jszip would silently collapse)", async () => {
    const zip = writeRawZip([
      { name: "src/index.ts", data: "export const good = 1" },
      { name: "src/index.ts", data: "export const evil = 1" },
    ]);
    expect((await rejection(zip)).message).toMatch(/repeated names/);
  });

  it("rejects names that differ only in case", async () => {
    const zip = writeRawZip([{ name: "README.md", data: "a" }, { name: "readme.md", data: "b" }]);
    expect((await rejection(zip)).message).toMatch(/differ only in case/);
  });

  it("rejects a file that is also a folder", async () => {
    const zip = writeRawZip([{ name: "lib", data: "a" }, { name: "lib/x.js", data: "b" }]);
    expect((await rejection(zip)).message).toMatch(/both a file and the folder/);
  });

  it("rejects garbage", async () => {
    expect((await rejection(Buffer.from("this is not a zip file at all, not even close"))).message).toMatch(/not a readable zip/);
  });
});

describe("unpackZip: size and count caps", () => {
  it("rejects a zip bomb by ratio (50 MB of zeros)", async () => {
    const zip = new JSZip();
    zip.file("package.json", "{}");
    zip.file("zeros.bin", new Uint8Array(50 * 1024 * 1024));
    const bytes = await zip.generateAsync({ type: "uint8array", compression: "DEFLATE" });
    expect(bytes.byteLength).toBeLessThan(200 * 1024);
    expect((await rejection(bytes)).message).toMatch(/"zeros.bin" inflates more than 200:1/);
  });

  it("rejects a package whose entries together inflate past the total cap", async () => {
    const chunk = new Uint8Array(400 * 1024).map((_, i) => (i * 7919) % 251);
    const zip = await zipFiles({ "a.bin": chunk, "b.bin": chunk, "c.bin": chunk });
    const limits = { ...DEFAULT_ZIP_LIMITS, maxTotalBytes: 1024 * 1024 };
    expect((await rejection(zip, limits)).message).toMatch(/inflates to more than 1048576 bytes/);
  });

  it("counts the central directory itself when its end record lies about the count", async () => {
    const entries = Array.from({ length: 20_000 }, (_, i) => ({ name: `f/${i}` }));
    expect((await rejection(writeRawZip(entries, { declaredCount: 5 }))).message).toMatch(/more than 10000 entries/);
  });

  it("rejects 100k entries before jszip parses them", async () => {
    const entries = Array.from({ length: 100_000 }, (_, i) => ({ name: `f/${i}` }));
    const started = Date.now();
    expect((await rejection(writeRawZip(entries))).message).toMatch(/100000 entries; at most 10000/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("counts inflated bytes instead of trusting a header that lies", async () => {
    const noise = new Uint8Array(3 * 1024 * 1024).map((_, i) => (i * 2654435761) >>> 24);
    const zip = writeRawZip([{ name: "big.bin", data: noise, deflate: true, declaredSize: 10 }]);
    const limits = { ...DEFAULT_ZIP_LIMITS, maxTotalBytes: 1024 * 1024 };
    expect((await rejection(zip, limits)).message).toMatch(/inflates to more than 1048576 bytes/);
  });

  it("rejects an entry whose real size differs from its header", async () => {
    const zip = writeRawZip([{ name: "a.txt", data: "a".repeat(100), deflate: true, declaredSize: 10 }]);
    expect((await rejection(zip)).message).toMatch(/zip entry "a.txt" .*size/);
  });

  it("stops when the signal aborts", async () => {
    const zip = await zipFiles({ "a.txt": "a" });
    const controller = new AbortController();
    controller.abort();
    await expect(unpackZip(zip, dest, { signal: controller.signal })).rejects.toThrow(/abort/i);
  });
});
