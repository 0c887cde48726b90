// Plugin packages for the benchmarks, installed the way the package builder installs
// them (bundle → evaluate once in the sandbox → code cache → installed folder) but
// without the HTTP layer or a zip, and cloned under other names when a benchmark needs
// hundreds of installed packages quickly.
import { copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { writeArtifactRecord } from "../host/package/artifact-record.ts";
import { bundlePackage } from "../host/package/bundler.ts";
import { createSandbox, INSTALLED_FILES, SandboxOptionsSchema, type ArtifactDigests, type Sandbox } from "../sandbox/index.ts";

export const BENCH_VERSION = "1.0.0";
/** The artifact key bench packages are signed with; runtime processes of the benchmarks are given it. */
export const BENCH_ARTIFACT_KEY = "b3".repeat(32);
const benchKey = Buffer.from(BENCH_ARTIFACT_KEY, "hex");
export const BENCH_PLUGIN = "Bench";

/** The small plugin every benchmark calls: an echo tool validated by zod, and a stream. */
export const ECHO_PLUGIN: Record<string, string> = {
  "index.ts": `import { definePlugin, defineTool, z } from "hiagent-plugin-sdk";
export default definePlugin({
  name: "${BENCH_PLUGIN}",
  description: "Benchmark tools",
  tools: {
    echo: defineTool({ description: "Returns its input", input: z.object({ text: z.string() }), run: (i) => ({ text: i.text }) }),
    count: defineTool({
      description: "Streams {i} for i < n",
      input: z.object({ n: z.number().int().min(0) }),
      stream: true,
      *run({ n }) { for (let i = 0; i < n; i++) yield { i }; },
    }),
  },
});
`,
};

/** The echo input every benchmark sends, as JSON text. */
export const ECHO_INPUT = JSON.stringify({ text: "hello" });

/**
 * A library-style plugin of roughly `libraryBytes`: the echo tool plus a vendored,
 * function-heavy dependency under node_modules (many small methods, as real SDKs are).
 */
export function bigLibraryPlugin(libraryBytes: number): Record<string, string> {
  return {
    "index.ts": `import { definePlugin, defineTool, z } from "hiagent-plugin-sdk";
import { lib } from "biglib";
export default definePlugin({ name: "${BENCH_PLUGIN}", tools: {
  echo: defineTool({ input: z.object({ text: z.string() }), run: (i) => ({ text: i.text }) }),
  lib: defineTool({ run: () => lib.f0(1) }),
} });
`,
    "node_modules/biglib/package.json": JSON.stringify({ name: "biglib", main: "index.js", type: "module" }),
    "node_modules/biglib/index.js": functionHeavyLibrary(libraryBytes),
  };
}

function functionHeavyLibrary(bytes: number): string {
  const parts: string[] = ["export const lib = {"];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const fn = `  f${i}(x) { const a = [x, ${i}, "${"k".repeat(20)}${i}"]; let s = 0; for (const v of a) s += typeof v === "number" ? v : v.length; return s > ${i} ? this.f${i + 1} ? s : s + 1 : s - 1; },\n`;
    parts.push(fn);
    size += fn.length;
  }
  parts.push("};");
  return parts.join("\n");
}

export interface InstalledBenchPackage {
  name: string;
  version: string;
  /** `extensions/{name}/{version}`. */
  dir: string;
  bundleBytes: number;
  /** The bundle as installed (CommonJS text requiring the SDK and zod from the sandbox). */
  code: string;
  /** The digests of its signed artifact record, as the sandbox is given them with a call. */
  artifacts: ArtifactDigests;
}

export interface InstallOptions {
  /** Where sources are written before bundling. */
  workDir: string;
  extensionsDir: string;
  /** Write the V8 code cache (what an install ships); false measures the start without it. */
  codeCache?: boolean;
}

/** Bundles `files` as package `name`, evaluates it once in `sandbox` and writes its installed folder. */
export async function installBenchPackage(sandbox: Pick<Sandbox, "inspect">, name: string, files: Record<string, string>, options: InstallOptions): Promise<InstalledBenchPackage> {
  const src = join(options.workDir, "src", name);
  const manifest = JSON.stringify({ name, version: BENCH_VERSION, hiagent: { entry: "index.ts" } });
  for (const [file, text] of Object.entries({ ...files, "package.json": manifest })) {
    await mkdir(dirname(join(src, file)), { recursive: true });
    await writeFile(join(src, file), text);
  }
  const bundle = await bundlePackage({ packageDir: src, entry: "index.ts" });
  const inspected = await sandbox.inspect({ pkg: name, version: BENCH_VERSION, code: bundle.code });
  const dir = join(options.extensionsDir, name, BENCH_VERSION);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, INSTALLED_FILES.manifest), manifest);
  await writeFile(join(dir, INSTALLED_FILES.bundle), bundle.code);
  await writeFile(join(dir, INSTALLED_FILES.sourceMap), bundle.map);
  if ((options.codeCache ?? true) && inspected.codeCache) await writeFile(join(dir, INSTALLED_FILES.codeCache), inspected.codeCache);
  const meta = { name, version: BENCH_VERSION, uri: `file://${name}.zip`, filename: `${name}.zip`, plugins: inspected.plugins };
  await writeFile(join(dir, INSTALLED_FILES.meta), JSON.stringify(meta));
  const record = await writeArtifactRecord(dir, name, BENCH_VERSION, benchKey);
  return { name, version: BENCH_VERSION, dir, bundleBytes: Buffer.byteLength(bundle.code), code: bundle.code, artifacts: record.files };
}

/**
 * The same, for a benchmark whose runtime runs in another process: a one-process
 * sandbox is started for the install and closed after it.
 */
export async function installWithOwnSandbox(name: string, files: Record<string, string>, options: InstallOptions): Promise<InstalledBenchPackage> {
  const builder = createSandbox(SandboxOptionsSchema.parse({ processes: 1 }));
  try {
    return await installBenchPackage(builder, name, files, options);
  } finally {
    await builder.close();
  }
}

/**
 * Copies an installed folder as package `name` (same bundle and code cache, the name
 * rewritten in package.json and meta.json): an install costs a few file copies.
 */
export async function cloneInstalledPackage(from: InstalledBenchPackage, extensionsDir: string, name: string): Promise<InstalledBenchPackage> {
  const dir = join(extensionsDir, name, from.version);
  await mkdir(dir, { recursive: true });
  for (const file of [INSTALLED_FILES.bundle, INSTALLED_FILES.sourceMap, INSTALLED_FILES.codeCache]) {
    await copyFile(join(from.dir, file), join(dir, file)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== "ENOENT") throw err;
    });
  }
  const manifest = JSON.parse(await readFile(join(from.dir, INSTALLED_FILES.manifest), "utf8")) as Record<string, unknown>;
  await writeFile(join(dir, INSTALLED_FILES.manifest), JSON.stringify({ ...manifest, name }));
  const meta = JSON.parse(await readFile(join(from.dir, INSTALLED_FILES.meta), "utf8")) as Record<string, unknown>;
  await writeFile(join(dir, INSTALLED_FILES.meta), JSON.stringify({ ...meta, name, uri: `file://${name}.zip`, filename: `${name}.zip` }));
  const record = await writeArtifactRecord(dir, name, from.version, benchKey);
  return { ...from, name, dir, artifacts: record.files };
}

/** `count` clones named `${prefix}${i}`, a few at a time (the disk, not the CPU, is the limit). */
export async function cloneMany(from: InstalledBenchPackage, extensionsDir: string, prefix: string, count: number): Promise<InstalledBenchPackage[]> {
  const out: InstalledBenchPackage[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      for (let i = next++; i < count; i = next++) out[i] = await cloneInstalledPackage(from, extensionsDir, `${prefix}${i}`);
    }),
  );
  return out;
}
