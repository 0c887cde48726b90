// Bundles a package's entry into the one CommonJS script the sandbox evaluates
// (SPEC §2 step 5). Every import goes through one resolver that keeps resolution
// inside the package folder: Node built-ins are refused, the SDK and zod stay external
// unless vendored, and whatever esbuild resolves is realpath-checked to be inside.
// Every file is read here, not by esbuild, with its source-map comments disarmed: an
// input source map would have esbuild read whatever files its `sources` name. The build
// runs in the one esbuild service under its time and memory caps (bundler-service.ts).
import { readFile, realpath } from "node:fs/promises";
import { builtinModules } from "node:module";
import path from "node:path";
import * as esbuild from "esbuild";
import { RuntimeError } from "../../sandbox/errors.ts";
import { bundlerService, type BundlerLimits } from "./bundler-service.ts";
import { readTsconfigOptions } from "./tsconfig-options.ts";

export interface BundleOptions {
  /** The unpacked package folder. */
  packageDir: string;
  /** Package-relative path of the entry module. */
  entry: string;
  signal?: AbortSignal;
  /** The build's time and memory caps; the config's defaults when absent. */
  limits?: BundlerLimits;
}

export const DEFAULT_BUNDLER_LIMITS: BundlerLimits = { timeoutMs: 60_000, maxMemoryBytes: 1024 * 1024 * 1024 };

export interface BundleOutput {
  /** The bundle (CommonJS); `hiagent-plugin-sdk` and `zod` are `require`d unless vendored. */
  code: string;
  /** Its source map (sources package-relative, with their contents). */
  map: string;
}

/** Modules the sandbox provides to every bundle that does not carry its own copy. */
const HOST_MODULES = ["hiagent-plugin-sdk", "zod"] as const;
const NODE_BUILTINS = new Set(builtinModules.flatMap((name) => [name, name.replace(/^node:/, "")]));
const RESOLVING = Symbol("resolving");
const MAX_REPORTED_ERRORS = 5;
/** The loaders of the build: the only kinds of file a package may import (a stylesheet, say, would be a second output). */
const LOADERS: Readonly<Record<string, esbuild.Loader>> = {
  ".ts": "ts",
  ".mts": "ts",
  ".cts": "ts",
  ".js": "js",
  ".mjs": "js",
  ".cjs": "js",
  ".json": "json",
  ".wasm": "binary",
};
const BUNDLED_EXTENSIONS = new Set(Object.keys(LOADERS));
/** The loaders of the files the bundler reads itself (the source files that may carry a source-map comment). */
const SOURCE_LOADERS: Readonly<Record<string, esbuild.Loader>> = { ".ts": "ts", ".mts": "ts", ".cts": "ts", ".js": "js", ".mjs": "js", ".cjs": "js" };
/**
 * esbuild takes `//# sourceMappingURL=` (or `//@`, `/*#`, `/*@`) as an input source map
 * when the `#`/`@` directly follows the comment opener; a space there leaves the text
 * an ordinary comment. (A string literal spelling the same text is changed likewise.)
 */
const SOURCE_MAP_COMMENT = /(\/[/*])[#@](?= sourceMappingURL=)/g;

export function disarmSourceMapComments(text: string): string {
  return text.includes("sourceMappingURL=") ? text.replace(SOURCE_MAP_COMMENT, "$1 ") : text;
}

function isNodeBuiltin(specifier: string): boolean {
  if (specifier.startsWith("node:")) return true;
  return NODE_BUILTINS.has(specifier) || NODE_BUILTINS.has(specifier.split("/")[0] ?? "");
}

/**
 * "zod" for "zod" and "zod/v4" (the two names the sandbox provides, see
 * sandbox/runtime/modules.ts); other zod entry points must be vendored.
 * "hiagent-plugin-sdk" only for the SDK itself.
 */
function hostModuleOf(specifier: string): (typeof HOST_MODULES)[number] | null {
  if (specifier === "hiagent-plugin-sdk") return "hiagent-plugin-sdk";
  if (specifier === "zod" || specifier === "zod/v4") return "zod";
  return null;
}

function isBare(specifier: string): boolean {
  return !specifier.startsWith(".") && !specifier.startsWith("/") && !path.isAbsolute(specifier);
}

/** The package name of a bare specifier (`@scope/x/y` → `@scope/x`, `x/y` → `x`). */
function packageNameOf(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] ?? specifier);
}

function isInside(root: string, file: string): boolean {
  return file === root || file.startsWith(root + path.sep);
}

async function realpathOrNull(file: string): Promise<string | null> {
  try {
    return await realpath(file);
  } catch {
    return null;
  }
}

/** The esbuild plugin that owns all resolution. `root` is the realpath of the package folder. */
function packageResolver(root: string, signal: AbortSignal | undefined): esbuild.Plugin {
  const relative = (file: string) => (isInside(root, file) ? path.relative(root, file).split(path.sep).join("/") : "(outside the package)");
  return {
    name: "package-resolver",
    setup(build) {
      build.onResolve({ filter: /.*/ }, async (args) => {
        if (args.pluginData === RESOLVING) return undefined;
        if (signal?.aborted) return { errors: [{ text: "build cancelled" }] };
        const specifier = args.path;
        const importer = args.importer ? relative(args.importer) : "(entry)";
        const fail = (text: string) => ({ errors: [{ text }] });

        if (args.kind !== "entry-point" && isNodeBuiltin(specifier)) {
          return fail(`Node built-in module "${specifier}" cannot be imported (imported by ${importer}): plugins run without Node APIs`);
        }
        if (args.kind !== "entry-point" && path.isAbsolute(specifier)) {
          return fail(`absolute import paths are not allowed (imported by ${importer}); import package files relatively`);
        }
        if (specifier.startsWith("hiagent-plugin-sdk/")) {
          return fail(`"${specifier}" is not available in the sandbox; import "hiagent-plugin-sdk" (imported by ${importer})`);
        }
        const hostModule = hostModuleOf(specifier);

        const resolved = await build.resolve(specifier, {
          kind: args.kind,
          importer: args.importer,
          resolveDir: args.resolveDir,
          pluginData: RESOLVING,
        });
        const lexical = resolved.errors.length === 0 && resolved.path ? resolved.path : null;
        const real = lexical && path.isAbsolute(lexical) ? await realpathOrNull(lexical) : null;
        const inside = real !== null && isInside(root, real);

        if (hostModule && !inside) return { path: specifier, external: true };
        if (inside && !BUNDLED_EXTENSIONS.has(path.extname(real))) {
          return fail(`"${relative(real)}" (imported by ${importer}) cannot be bundled: a plugin imports only ${[...BUNDLED_EXTENSIONS].join(", ")} files`);
        }
        if (inside) return { path: real, sideEffects: resolved.sideEffects };
        if (isBare(specifier) && (lexical === null || !isInside(root, lexical))) {
          return fail(
            `dependency "${packageNameOf(specifier)}" is not vendored (imported by ${importer}): ship it under node_modules/ in the package; installing dependencies from package.index_url is not supported yet`,
          );
        }
        if (lexical === null) return fail(`cannot resolve "${specifier}" (imported by ${importer})`);
        return fail(`import "${specifier}" (imported by ${importer}) resolves outside the package`);
      });
      // Source files are read here, so esbuild never follows their source-map comments.
      build.onLoad({ filter: /\.[cm]?[jt]s$/, namespace: "file" }, async (args) => {
        const loader = SOURCE_LOADERS[path.extname(args.path)];
        if (loader === undefined) return undefined;
        if (!isInside(root, args.path)) return { errors: [{ text: `${relative(args.path)} is outside the package` }] };
        const contents = disarmSourceMapComments(await readFile(args.path, "utf8"));
        return { contents, loader, resolveDir: path.dirname(args.path) };
      });
    },
  };
}

/** Replaces host paths in esbuild's text with package-relative ones. */
function scrub(text: string, roots: string[]): string {
  let out = text;
  for (const root of roots) out = out.split(root + path.sep).join("").split(root).join(".");
  return out;
}

function toInvalidPackage(err: unknown, roots: string[]): RuntimeError {
  const failure = err as Partial<esbuild.BuildFailure>;
  const messages = Array.isArray(failure.errors) ? failure.errors : [];
  if (messages.length === 0) {
    return new RuntimeError("InvalidPackage", `bundling failed: ${scrub(err instanceof Error ? err.message : String(err), roots)}`);
  }
  const lines = messages.slice(0, MAX_REPORTED_ERRORS).map((message) => {
    const where = message.location ? `${message.location.file}:${message.location.line}:${message.location.column}: ` : "";
    return scrub(`${where}${message.text}`, roots);
  });
  const more = messages.length > MAX_REPORTED_ERRORS ? ` (and ${messages.length - MAX_REPORTED_ERRORS} more)` : "";
  return new RuntimeError("InvalidPackage", `bundling failed: ${lines.join("; ")}${more}`, { data: { errors: lines } });
}

/** Bundles `entry` of the package at `packageDir`; any problem is `InvalidPackage` with package-relative locations. */
export function bundlePackage(options: BundleOptions): Promise<BundleOutput> {
  options.signal?.throwIfAborted();
  return bundlerService.run(options.limits ?? DEFAULT_BUNDLER_LIMITS, (stop) =>
    build({ ...options, signal: options.signal === undefined ? stop : AbortSignal.any([options.signal, stop]) }),
  );
}

async function build(options: BundleOptions): Promise<BundleOutput> {
  const { signal } = options;
  signal?.throwIfAborted();
  const lexicalRoot = path.resolve(options.packageDir);
  const root = await realpath(lexicalRoot);
  const roots = [...new Set([root, lexicalRoot])];

  const context = await esbuild.context({
    absWorkingDir: root,
    entryPoints: [path.join(root, options.entry)],
    outfile: path.join(root, "bundle.js"),
    write: false,
    bundle: true,
    format: "cjs",
    platform: "neutral",
    target: "es2022",
    mainFields: ["module", "main"],
    conditions: [],
    resolveExtensions: [".ts", ".mts", ".cts", ".js", ".mjs", ".cjs", ".json"],
    loader: { ...LOADERS },
    // Libraries test NODE_ENV; there is no `process` in the sandbox.
    define: { "process.env.NODE_ENV": '"production"' },
    tsconfigRaw: await readTsconfigOptions(root),
    // Report the path as found, so a link that points out is caught by the realpath check.
    preserveSymlinks: true,
    sourcemap: "external",
    sourcesContent: true,
    minify: false,
    keepNames: true,
    legalComments: "inline",
    logLevel: "silent",
    plugins: [packageResolver(root, signal)],
  });
  const cancel = () => void context.cancel();
  signal?.addEventListener("abort", cancel, { once: true });
  try {
    let result: esbuild.BuildResult<{ write: false }>;
    try {
      result = (await context.rebuild()) as esbuild.BuildResult<{ write: false }>;
    } catch (err) {
      signal?.throwIfAborted();
      throw toInvalidPackage(err, roots);
    }
    signal?.throwIfAborted();
    const files = result.outputFiles ?? [];
    const code = files.find((file) => file.path.endsWith(".js"));
    const map = files.find((file) => file.path.endsWith(".js.map"));
    if (!code || !map || files.length !== 2) {
      const extra = files.filter((file) => file !== code && file !== map).map((file) => path.basename(file.path));
      throw new RuntimeError("InvalidPackage", `bundling produced more than one script and its map (${extra.join(", ")}): a plugin imports only ${[...BUNDLED_EXTENSIONS].join(", ")} files`);
    }
    return { code: code.text, map: map.text };
  } finally {
    signal?.removeEventListener("abort", cancel);
    await context.dispose();
  }
}
