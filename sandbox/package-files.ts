// The files of installed package versions, read by the host and handed to the sandbox
// children over IPC: a walled child has no view of the extensions folder (or of any
// folder a package was materialised into), so the host is the one reader. Only folders
// the host itself sent a child (in a call or a prepare) may be asked for.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { RuntimeError } from "./errors.ts";
import { INSTALLED_FILES, type ArtifactDigests } from "./sandbox-api.ts";

type Manifest = { hiagent?: { permissions?: { fetch?: unknown } } };

/**
 * The manifest, parsed only when it is the one the verified record names (with `artifacts`):
 * its fetch origins are what the fetch relay lets a plugin reach.
 */
async function readManifest(dir: string, artifacts: ArtifactDigests | undefined): Promise<Manifest> {
  const bytes = await readFile(join(dir, INSTALLED_FILES.manifest));
  if (artifacts !== undefined && createHash("sha256").update(bytes).digest("hex") !== artifacts[INSTALLED_FILES.manifest]) {
    throw new RuntimeError("InvalidPackage", `the ${INSTALLED_FILES.manifest} of ${dir} failed artifact verification: it does not match its record; reinstall the package`, {
      data: { verification: "failed" },
    });
  }
  return JSON.parse(bytes.toString("utf8")) as Manifest;
}

export interface InstalledFiles {
  code: string;
  cache: Buffer | null;
  origins: string[];
}

/** Reads an installed version's bundle, code cache and manifest fetch origins. */
export async function readInstalled(dir: string, artifacts?: ArtifactDigests): Promise<InstalledFiles> {
  let code: string;
  let manifest: Manifest;
  try {
    [code, manifest] = await Promise.all([readFile(join(dir, INSTALLED_FILES.bundle), "utf8"), readManifest(dir, artifacts)]);
  } catch (err) {
    if (err instanceof RuntimeError) throw err;
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

  /** The origins of `dir` (read from its manifest, checked against `artifacts`, if its files were not handed out yet). */
  of(dir: string, artifacts?: ArtifactDigests): Promise<string[]> {
    let p = this.byDir.get(dir);
    if (!p) {
      p = readManifest(dir, artifacts)
        .then(originsOf)
        .catch(() => []);
      this.byDir.set(dir, p);
    }
    return p;
  }

  forget(match: (dir: string) => boolean): void {
    for (const dir of [...this.byDir.keys()]) if (match(dir)) this.byDir.delete(dir);
  }
}
