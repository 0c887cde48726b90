// The esbuild service's owner: a build over the memory or time cap fails with
// InvalidPackage and the service is replaced; a service killed from outside is
// replaced too; either way the next build works and health counts the restart.
import { mkdir, mkdtemp, realpath, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundlerService } from "../../../host/package/bundler-service.ts";
import { bundlePackage, DEFAULT_BUNDLER_LIMITS } from "../../../host/package/bundler.ts";
import { RuntimeError } from "../../../sandbox/errors.ts";

let root: string;
let pkg: string;

beforeAll(async () => {
  root = await realpath(await mkdtemp(path.join(tmpdir(), "bundler-service-")));
  pkg = path.join(root, "pkg");
  await mkdir(path.join(pkg, "src"), { recursive: true });
  // Enough code that a build takes a few sampling intervals.
  const parts = Array.from({ length: 400 }, (_, i) => `export function f${i}(x: number): number { return [${"x, ".repeat(200)}].length + ${i}; }`);
  await writeFile(path.join(pkg, "src", "index.ts"), parts.join("\n"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const works = async (): Promise<void> => {
  const out = await bundlePackage({ packageDir: pkg, entry: "src/index.ts" });
  expect(out.code).toContain("function f399");
};

async function refusal(limits: typeof DEFAULT_BUNDLER_LIMITS): Promise<RuntimeError> {
  const err = await bundlePackage({ packageDir: pkg, entry: "src/index.ts", limits }).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RuntimeError);
  expect((err as RuntimeError).code).toBe("InvalidPackage");
  return err as RuntimeError;
}

describe.runIf(process.platform === "linux")("bundlerService", () => {
  it("a build over the memory cap is InvalidPackage; the service is replaced and the next build works", async () => {
    await works();
    const before = bundlerService.health().restarts;
    const err = await refusal({ ...DEFAULT_BUNDLER_LIMITS, maxMemoryBytes: 1024 });
    expect(err.message).toMatch(/memory limit/);
    expect(bundlerService.health()).toMatchObject({ state: "ok", restarts: before + 1, memory_cap: "enforced" });
    expect(bundlerService.health().last_restart).toMatch(/^memory limit/);
    await works();
  });

  it("a build over the time cap is InvalidPackage; the next build works", async () => {
    const before = bundlerService.health().restarts;
    const err = await refusal({ ...DEFAULT_BUNDLER_LIMITS, timeoutMs: 1 });
    expect(err.message).toMatch(/longer than 1 ms/);
    expect(bundlerService.health().restarts).toBe(before + 1);
    await works();
  });

  it("a service killed from outside is replaced: the next builds work", async () => {
    await works();
    // The pid is found while a build runs.
    await expect.poll(async () => {
      await works();
      return bundlerService.health().pid;
    }).not.toBeNull();
    const pid = bundlerService.health().pid as number;
    process.kill(pid, "SIGKILL");
    await new Promise((r) => setTimeout(r, 100));
    const first = await bundlePackage({ packageDir: pkg, entry: "src/index.ts" }).then(
      () => "built",
      (e: unknown) => (e instanceof RuntimeError ? e.code : String(e)),
    );
    // The first build after the death may be the one that finds out; it is InvalidPackage, never a hang.
    expect(["built", "InvalidPackage"]).toContain(first);
    await works();
    await works();
  });
});
