// The console's host-side door: where its build lives, and a build made on first use
// when there is none (or the sources are newer), so `npm start` serves a current console
// whether or not `npm install` built it. The browser side is console/src.
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import { buildConsole, CONSOLE_DIST, CONSOLE_ROOT } from "./build.ts";

export { buildConsole, CONSOLE_DIST };

/** The files a built console serves: `index.html` and `assets/*`. */
export const CONSOLE_FILES = { page: "index.html", assets: "assets" } as const;

async function newestSource(dir: string): Promise<number> {
  let newest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? await newestSource(full) : (await stat(full)).mtimeMs);
  }
  return newest;
}

async function isCurrent(dist: string): Promise<boolean> {
  const built = await stat(path.join(dist, CONSOLE_FILES.page)).catch(() => null);
  if (built === null) return false;
  const sources = await newestSource(path.join(CONSOLE_ROOT, "src")).catch(() => 0);
  return sources <= built.mtimeMs;
}

let ready: Promise<string> | undefined;

/** The folder of a current console build, building it once per process if needed. */
export function consoleBuild(): Promise<string> {
  ready ??= (async () => {
    if (!(await isCurrent(CONSOLE_DIST))) await buildConsole(CONSOLE_DIST);
    return CONSOLE_DIST;
  })();
  ready.catch(() => {
    ready = undefined;
  });
  return ready;
}
