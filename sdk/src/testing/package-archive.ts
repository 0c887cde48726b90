// Turns a plugin folder into the zip that InstallPackage accepts (the CLI's `pack`, and
// what `loadPlugin` installs). Node-side: it runs in the author's tools, never in the
// sandbox. It imports the runtime's manifest reader by relative path, because the SDK
// is a workspace of the runtime's repository and must read manifests exactly as the
// server does.
//
// What goes in: every file of the folder except dotfiles, `dist/` and `node_modules/`;
// from `node_modules/` only the packages the manifest's `dependencies` name (and what
// they depend on), i.e. the vendored ones. The SDK and zod are never vendored: the
// sandbox provides them, and a bundle carrying its own copy starts slower (SPEC §9.10).
import { readdir, readFile, realpath, stat } from "node:fs/promises";
import path from "node:path";
import JSZip from "jszip";
import { readManifest, type PackageManifest } from "../../../host/package/manifest.ts";

/** Packages the sandbox provides; vendoring them is never needed. */
const HOST_PROVIDED = new Set(["hiagent-plugin-sdk", "zod"]);
/** A fixed timestamp, so packing the same files twice gives the same bytes. */
const ENTRY_DATE = new Date(Date.UTC(2020, 0, 1));

export interface PackedPackage {
  manifest: PackageManifest;
  /** Package-relative paths, sorted, as stored in the zip. */
  files: string[];
  zip: Uint8Array;
  /** `{name}-{version}.zip`. */
  filename: string;
}

function isSkippedName(name: string): boolean {
  return name.startsWith(".");
}

/** Walks `dir`, yielding package-relative file paths; `seen` stops symlink loops. */
async function walk(root: string, rel: string, out: string[], seen: Set<string>, isTop: boolean): Promise<void> {
  const dir = path.join(root, rel);
  const real = await realpath(dir);
  if (seen.has(real)) return;
  seen.add(real);
  const entries = await readdir(dir, { withFileTypes: true });
  for (const entry of entries) {
    if (isSkippedName(entry.name)) continue;
    if (isTop && (entry.name === "dist" || entry.name === "node_modules")) continue;
    const child = rel === "" ? entry.name : `${rel}/${entry.name}`;
    // stat follows links: a linked file is packed as a plain file (zips may not hold links).
    const info = await stat(path.join(root, child)).catch(() => null);
    if (!info) continue;
    if (info.isDirectory()) await walk(root, child, out, seen, false);
    else if (info.isFile()) out.push(child);
  }
}

async function readJson(file: string): Promise<Record<string, unknown> | null> {
  try {
    return JSON.parse(await readFile(file, "utf8")) as Record<string, unknown>;
  } catch {
    return null;
  }
}

function dependencyNames(manifest: Record<string, unknown> | null): string[] {
  const deps = manifest?.dependencies;
  return deps && typeof deps === "object" ? Object.keys(deps) : [];
}

/** The vendored packages: the manifest's dependencies and theirs, as found in `node_modules/`. */
async function vendoredPackages(root: string, manifest: PackageManifest): Promise<string[]> {
  const found = new Set<string>();
  const queue = dependencyNames(manifest.raw).filter((name) => !HOST_PROVIDED.has(name));
  const missing: string[] = [];
  while (queue.length > 0) {
    const name = queue.shift()!;
    if (found.has(name) || HOST_PROVIDED.has(name)) continue;
    const depManifest = await readJson(path.join(root, "node_modules", name, "package.json"));
    if (!depManifest) {
      if (dependencyNames(manifest.raw).includes(name)) missing.push(name);
      continue;
    }
    found.add(name);
    queue.push(...dependencyNames(depManifest));
  }
  if (missing.length > 0) {
    throw new Error(`dependencies not found in node_modules/: ${missing.join(", ")} (run npm install, or remove them from package.json)`);
  }
  return [...found].sort();
}

/** Package-relative paths of every file `pack` would ship from `dir`. */
export async function listPackageFiles(dir: string, manifest: PackageManifest): Promise<string[]> {
  const root = path.resolve(dir);
  const files: string[] = [];
  const seen = new Set<string>();
  await walk(root, "", files, seen, true);
  for (const name of await vendoredPackages(root, manifest)) {
    await walk(root, `node_modules/${name}`, files, seen, false);
  }
  return files.sort();
}

/** Reads and checks the folder's manifest the way the server does; throws its InvalidPackage error. */
export function readPackageManifest(dir: string): Promise<PackageManifest> {
  return readManifest(path.resolve(dir));
}

/** Zips the folder at `dir` into an installable package. */
export async function packFolder(dir: string): Promise<PackedPackage> {
  const root = path.resolve(dir);
  const info = await stat(root).catch(() => null);
  if (!info?.isDirectory()) throw new Error(`${dir} is not a folder`);
  const manifest = await readPackageManifest(root);
  const files = await listPackageFiles(root, manifest);
  const zip = new JSZip();
  for (const file of files) {
    zip.file(file, await readFile(path.join(root, file)), { date: ENTRY_DATE, createFolders: false });
  }
  const bytes = await zip.generateAsync({ type: "uint8array", compression: "DEFLATE", compressionOptions: { level: 9 }, platform: "UNIX" });
  return { manifest, files, zip: bytes, filename: `${manifest.name}-${manifest.version}.zip` };
}
