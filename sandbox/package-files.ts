// The files of installed package versions, read by the host and handed to the sandbox
// children over IPC: a walled child has no view of the extensions folder (or of any
// folder a package was materialised into), so the host is the one reader. Only folders
// the host itself sent a child (in a call or a prepare) may be asked for.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { RuntimeError } from "./errors.ts";
import { INSTALLED_FILES } from "./sandbox-api.ts";

export interface InstalledFiles {
  code: string;
  cache: Buffer | null;
  origins: string[];
}

/** Reads an installed version's bundle, code cache and manifest fetch origins. */
export async function readInstalled(dir: string): Promise<InstalledFiles> {
  let code: string;
  let manifest: { hiagent?: { permissions?: { fetch?: unknown } } };
  try {
    [code, manifest] = await Promise.all([
      readFile(join(dir, INSTALLED_FILES.bundle), "utf8"),
      readFile(join(dir, INSTALLED_FILES.manifest), "utf8").then((t) => JSON.parse(t) as typeof manifest),
    ]);
  } catch {
    throw new RuntimeError("PackageNotFound", "package files are missing");
  }
  const cache = await readFile(join(dir, INSTALLED_FILES.codeCache)).catch(() => null);
  return { code, cache, origins: originsOf(manifest) };
}

function originsOf(manifest: { hiagent?: { permissions?: { fetch?: unknown } } }): string[] {
  const fetch = manifest.hiagent?.permissions?.fetch;
  return Array.isArray(fetch) ? fetch.filter((o): o is string => typeof o === "string") : [];
}

export function readSourceMap(dir: string): Promise<string | null> {
  return readFile(join(dir, INSTALLED_FILES.sourceMap), "utf8").catch(() => null);
}

/**
 * The fetch origins of the versions the host handed out, as read when their files were
 * handed over: the fetch relay checks a call's fetches against these, never against
 * anything the child says. Forgotten when a version is dropped.
 */
export class PackageOrigins {
  private readonly byDir = new Map<string, Promise<string[]>>();

  remember(dir: string, origins: string[]): void {
    this.byDir.set(dir, Promise.resolve(origins));
  }

  /** The origins of `dir` (read from its manifest if its files were not handed out yet). */
  of(dir: string): Promise<string[]> {
    let p = this.byDir.get(dir);
    if (!p) {
      p = readFile(join(dir, INSTALLED_FILES.manifest), "utf8")
        .then((t) => originsOf(JSON.parse(t) as Parameters<typeof originsOf>[0]))
        .catch(() => []);
      this.byDir.set(dir, p);
    }
    return p;
  }

  forget(match: (dir: string) => boolean): void {
    for (const dir of [...this.byDir.keys()]) if (match(dir)) this.byDir.delete(dir);
  }
}
