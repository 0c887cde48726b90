// Builds a package zip into an installable folder (SPEC §2 steps 2–8): unpack into a
// private staging folder, read the manifest, bundle, let the sandbox evaluate the
// bundle once for its metadata and code cache, lay out the installed files, and hand
// the folder to `publish`. The staging folder is removed whatever happens.
import { randomUUID } from "node:crypto";
import { copyFile, mkdir, realpath, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { RuntimeError } from "../../sandbox/errors.ts";
import { INSTALLED_FILES, type PluginMeta, type Sandbox } from "../../sandbox/sandbox-api.ts";
import { writeArtifactRecord, type ArtifactRecord } from "./artifact-record.ts";
import type { BundlerLimits } from "./bundler-service.ts";
import { bundlePackage } from "./bundler.ts";
import { readManifest, type PackageManifest } from "./manifest.ts";
import type { PackageMeta, PackageSource } from "./package-meta.ts";
import { STAGING_DIR } from "./package-publisher.ts";
import { DEFAULT_ZIP_LIMITS, unpackZip, type ZipLimits } from "./zip-reader.ts";

export type BuildStage = "download" | "unpack" | "bundle" | "inspect" | "precompile" | "publish";

/** Job progress (0–100) when each stage starts; download is the caller's. */
export const STAGE_PROGRESS: Readonly<Record<BuildStage, number>> = {
  download: 5,
  unpack: 20,
  bundle: 35,
  inspect: 60,
  precompile: 80,
  publish: 90,
};

export type StageListener = (stage: BuildStage, progress: number) => void;

export interface BuiltPackage {
  /** The finished folder, ready to be renamed into `extensions/{name}/{version}`. */
  dir: string;
  manifest: PackageManifest;
  meta: PackageMeta;
  /** The signed record of the folder's files (also written into it as `artifacts.json`). */
  record: ArtifactRecord;
}

export interface BuildDeps {
  extensionsDir: string;
  sandbox: Pick<Sandbox, "inspect">;
  /** Signs the record of the built files (`package.artifact_key`). */
  artifactKey: Buffer;
  source: PackageSource;
  zipLimits?: ZipLimits;
  /** Counts bytes written to staging against the node's budget (throws past it). */
  stage?: (bytes: number) => void;
  /** The bundler's caps for this build; its defaults when absent. */
  bundlerLimits?: BundlerLimits;
  signal?: AbortSignal;
  onStage?: StageListener;
  /** Called once the manifest is known, before bundling (e.g. to refuse an installed version early). */
  onManifest?: (manifest: PackageManifest) => Promise<void>;
  /** Moves the finished folder into place. Without it the build is inspected and thrown away. */
  publish?: (built: BuiltPackage) => Promise<void>;
}

/** Evaluating a bundle that throws, loops or bloats says the package is bad, not the server. */
const PLUGIN_FAULTS = new Set(["ToolError", "ToolTimeout", "ToolMemoryLimit", "InvalidInput", "InvalidConfig"]);

/** Rejects as soon as `signal` aborts; the abandoned promise is left to settle on its own. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  promise.catch(() => undefined);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    void promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

async function inspectBundle(deps: BuildDeps, manifest: PackageManifest, code: string) {
  try {
    return await untilAborted(deps.sandbox.inspect({ pkg: manifest.name, version: manifest.version, code }), deps.signal);
  } catch (err) {
    deps.signal?.throwIfAborted();
    if (err instanceof RuntimeError && PLUGIN_FAULTS.has(err.code)) {
      throw new RuntimeError("InvalidPackage", `evaluating the bundle failed: ${err.message}`, { cause: err, data: err.data });
    }
    throw err;
  }
}

function checkPlugins(plugins: PluginMeta[]): void {
  if (plugins.length === 0) throw new RuntimeError("InvalidPackage", "the entry module exports no plugin (export default definePlugin(...) or an array of them)");
  const names = new Set<string>();
  for (const plugin of plugins) {
    if (names.has(plugin.name)) throw new RuntimeError("InvalidPackage", `two plugins are named ${JSON.stringify(plugin.name)}`);
    names.add(plugin.name);
    if (Object.keys(plugin.tools ?? {}).length === 0) {
      throw new RuntimeError("InvalidPackage", `plugin ${JSON.stringify(plugin.name)} has no tools`);
    }
  }
}

const INSTALLED_NAMES = new Set<string>(Object.values(INSTALLED_FILES));

/** Copies each icon file the plugins name from the package into the installed folder. */
async function copyIcons(plugins: PluginMeta[], srcDir: string, outDir: string): Promise<void> {
  const srcRoot = await realpath(srcDir);
  for (const plugin of plugins) {
    const icon = plugin.icon;
    if (!icon || /^(https?:|data:)/i.test(icon)) continue;
    const what = `plugin ${JSON.stringify(plugin.name)}: icon ${JSON.stringify(icon)}`;
    const relative = path.posix.normalize(icon.replace(/^\.\//, ""));
    if (icon.includes("\\") || path.posix.isAbsolute(relative) || relative === ".." || relative.startsWith("../")) {
      throw new RuntimeError("InvalidPackage", `${what} is not a file inside the package`);
    }
    if (INSTALLED_NAMES.has(relative)) throw new RuntimeError("InvalidPackage", `${what} clashes with an installed file name`);
    let real: string;
    try {
      real = await realpath(path.join(srcRoot, relative));
    } catch {
      throw new RuntimeError("InvalidPackage", `${what} is not in the package`);
    }
    if (!real.startsWith(srcRoot + path.sep) || !(await stat(real)).isFile()) {
      throw new RuntimeError("InvalidPackage", `${what} is not a file inside the package`);
    }
    const target = path.join(outDir, relative);
    await mkdir(path.dirname(target), { recursive: true });
    await copyFile(real, target);
  }
}

/** Builds the package in `zip`; publishes it when `deps.publish` is given. Returns its metadata. */
export async function buildPackage(zip: Uint8Array, deps: BuildDeps): Promise<PackageMeta> {
  const { signal } = deps;
  const stage = (name: BuildStage) => {
    signal?.throwIfAborted();
    deps.onStage?.(name, STAGE_PROGRESS[name]);
  };
  const stagingDir = path.join(path.resolve(deps.extensionsDir), STAGING_DIR, randomUUID());
  const srcDir = path.join(stagingDir, "src");
  const outDir = path.join(stagingDir, "out");
  try {
    stage("unpack");
    await mkdir(srcDir, { recursive: true });
    await mkdir(outDir);
    await unpackZip(zip, srcDir, { limits: deps.zipLimits ?? DEFAULT_ZIP_LIMITS, signal, ...(deps.stage === undefined ? {} : { onInflated: deps.stage }) });
    const manifest = await readManifest(srcDir);
    signal?.throwIfAborted();
    await deps.onManifest?.(manifest);

    stage("bundle");
    const bundle = await bundlePackage({ packageDir: srcDir, entry: manifest.entry, signal, ...(deps.bundlerLimits === undefined ? {} : { limits: deps.bundlerLimits }) });

    deps.stage?.(bundle.code.length + bundle.map.length);
    stage("inspect");
    const inspected = await inspectBundle(deps, manifest, bundle.code);
    checkPlugins(inspected.plugins);
    const meta: PackageMeta = {
      name: manifest.name,
      version: manifest.version,
      ...deps.source,
      permissions: { fetch: [...manifest.fetchOrigins] },
      plugins: inspected.plugins,
    };

    stage("precompile");
    await copyFile(path.join(srcDir, "package.json"), path.join(outDir, INSTALLED_FILES.manifest));
    await writeFile(path.join(outDir, INSTALLED_FILES.bundle), bundle.code);
    await writeFile(path.join(outDir, INSTALLED_FILES.sourceMap), bundle.map);
    if (inspected.codeCache) await writeFile(path.join(outDir, INSTALLED_FILES.codeCache), inspected.codeCache);
    await copyIcons(inspected.plugins, srcDir, outDir);
    await writeFile(path.join(outDir, INSTALLED_FILES.meta), JSON.stringify(meta));
    const record = await writeArtifactRecord(outDir, manifest.name, manifest.version, deps.artifactKey);

    if (deps.publish) {
      stage("publish");
      await deps.publish({ dir: outDir, manifest, meta, record });
    }
    return meta;
  } finally {
    await rm(stagingDir, { recursive: true, force: true });
  }
}
