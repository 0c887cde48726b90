// `build` and `pack` check a folder exactly as InstallPackage would: the files `pack`
// ships are zipped and handed to the server's package builder (unpack, bundle, sandbox
// inspect, code cache) in a throwaway extensions folder. Imports the runtime by
// relative path: the SDK is a workspace of the runtime's repository.
import { randomBytes } from "node:crypto";
import { mkdtemp, realpath, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { buildPackage } from "../../host/package/package-builder.ts";
import type { PackageMeta } from "../../host/package/index.ts";
import { createSandbox, SandboxOptionsSchema } from "../../sandbox/index.ts";
import { packFolder, type PackedPackage } from "../src/testing/package-archive.ts";

export interface CheckedPackage {
  packed: PackedPackage;
  meta: PackageMeta;
  elapsedMs: number;
}

export async function checkPackage(dir: string): Promise<CheckedPackage> {
  const started = performance.now();
  const packed = await packFolder(dir);
  const root = await realpath(await mkdtemp(path.join(tmpdir(), "hiagent-plugin-build-")));
  const sandbox = createSandbox(SandboxOptionsSchema.parse({ processes: 1 }));
  try {
    await sandbox.start();
    const meta = await buildPackage(packed.zip, {
      extensionsDir: path.join(root, "extensions"),
      sandbox,
      // A throwaway build: its artifacts are signed with a key nobody keeps.
      artifactKey: randomBytes(32),
      source: { uri: `file://dist/${packed.filename}`, filename: packed.filename },
    });
    return { packed, meta, elapsedMs: performance.now() - started };
  } finally {
    await sandbox.close();
    await rm(root, { recursive: true, force: true });
  }
}
