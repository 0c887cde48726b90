// Builds the two scripts the sandbox needs at start, with esbuild: the prelude that
// every isolate evaluates (web globals, SDK, zod, entry points), and the sandbox child
// process entry as plain JavaScript (so children start fast under plain `node`).
// The child entry is written under node_modules/.cache, named by its content hash.
import { createHash } from "node:crypto";
import { chmod, mkdir, rename, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "..");
const cacheDir = join(root, "node_modules", ".cache", "hiagent-sandbox");


let preludePromise: Promise<string> | null = null;

/** The prelude script text; its completion value is the entry object. */
export function buildPrelude(): Promise<string> {
  preludePromise ??= bundlePrelude({ minify: true });
  preludePromise.catch(() => {
    preludePromise = null;
  });
  return preludePromise;
}

/**
 * Bundles the prelude (uncached). Unminified, profiles of the isolate name zod's and the
 * SDK's functions; the sandbox itself runs the minified one.
 */
export async function bundlePrelude(options: { minify: boolean }): Promise<string> {
  const result = await esbuild.build({
    entryPoints: [join(here, "runtime", "prelude.ts")],
    bundle: true,
    write: false,
    format: "iife",
    globalName: "__hiagent_prelude",
    platform: "neutral",
    target: "es2022",
    mainFields: ["module", "main"],
    minify: options.minify,
    legalComments: "none",
    logLevel: "silent",
    absWorkingDir: root,
  });
  const code = result.outputFiles[0]!.text;
  return `(function () {${code}\nreturn __hiagent_prelude.entry;})()`;
}

let childPromise: Promise<string> | null = null;

/** Path of the child process entry, built to JavaScript once per source change. */
export function buildChildEntry(): Promise<string> {
  childPromise ??= (async () => {
    const options: esbuild.BuildOptions = {
      entryPoints: [join(here, "child", "main.ts")],
      bundle: true,
      write: false,
      format: "esm",
      platform: "node",
      target: "node20",
      packages: "external",
      logLevel: "silent",
      absWorkingDir: root,
    };
    const result = await esbuild.build(options);
    const hash = createHash("sha256").update(result.outputFiles![0]!.text).digest("hex").slice(0, 16);
    const file = join(cacheDir, `sandbox-child-${hash}.mjs`);
    await mkdir(cacheDir, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, result.outputFiles![0]!.text);
    // Readable by the sandbox's own uid (the OS sandbox runs the child as 65534), whatever the umask.
    await chmod(tmp, 0o644);
    await chmod(cacheDir, 0o755);
    await rename(tmp, file);
    return file;
  })();
  childPromise.catch(() => {
    childPromise = null;
  });
  return childPromise;
}
