// Builds the console (console/src, Preact) into console/dist: index.html, and one
// script and one stylesheet under assets/. Run by `npm install` (the root package's
// `prepare`), and on first use by a server that finds no build. esbuild bundles it, the
// bundler the runtime already uses for plugin packages.
import { copyFile, mkdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

export const CONSOLE_ROOT = path.dirname(fileURLToPath(import.meta.url));
export const CONSOLE_DIST = path.join(CONSOLE_ROOT, "dist");

export async function buildConsole(outDir: string = CONSOLE_DIST): Promise<void> {
  const staging = `${outDir}.tmp-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(path.join(staging, "assets"), { recursive: true });
  await build({
    entryPoints: { console: path.join(CONSOLE_ROOT, "src", "main.tsx") },
    outdir: path.join(staging, "assets"),
    bundle: true,
    format: "esm",
    target: "es2022",
    platform: "browser",
    jsx: "automatic",
    jsxImportSource: "preact",
    minify: true,
    sourcemap: false,
    legalComments: "none",
    logLevel: "warning",
  });
  await copyFile(path.join(CONSOLE_ROOT, "src", "index.html"), path.join(staging, "index.html"));
  // Swap the finished build in whole, so a server never serves half of one.
  await rm(outDir, { recursive: true, force: true });
  await rename(staging, outDir);
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await buildConsole();
  console.log(`console built into ${path.relative(process.cwd(), CONSOLE_DIST) || CONSOLE_DIST}`);
}
