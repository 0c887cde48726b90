// What runs this sandbox process's isolates, for health: read once at start.
import { createRequire } from "node:module";
import type { SandboxEngine } from "../sandbox-api.ts";

export function sandboxEngine(): SandboxEngine {
  let isolatedVm = "unknown";
  try {
    const pkg = createRequire(import.meta.url)("isolated-vm/package.json") as { version?: unknown };
    if (typeof pkg.version === "string") isolatedVm = pkg.version;
  } catch {
    // A missing package.json does not stop the isolates; health just cannot name it.
  }
  return { node: process.versions.node, v8: process.versions.v8, isolated_vm: isolatedVm };
}
