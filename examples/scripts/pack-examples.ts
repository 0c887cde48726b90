// Packs every example plugin into examples/dist/{name}-{version}.zip with the CLI's own
// `pack` (build check included), so the READMEs' InstallPackage calls have zips to use.
// Run from anywhere: npx tsx examples/scripts/pack-examples.ts
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { main } from "../../sdk/cli/main.ts";

const examplesDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const outDir = path.join(examplesDir, "dist");

async function isPluginFolder(dir: string): Promise<boolean> {
  return (await stat(path.join(dir, "package.json")).catch(() => null))?.isFile() ?? false;
}

const folders: string[] = [];
for (const name of (await readdir(examplesDir)).sort()) {
  const dir = path.join(examplesDir, name);
  if (await isPluginFolder(dir)) folders.push(dir);
}

let failed = 0;
for (const dir of folders) {
  const code = await main(["pack", dir, "--out-dir", outDir], { out: process.stdout, err: process.stderr, cwd: process.cwd(), signal: new AbortController().signal });
  if (code !== 0) failed++;
}
process.stdout.write(`${folders.length - failed} of ${folders.length} examples packed into ${path.relative(process.cwd(), outDir) || outDir}\n`);
process.exitCode = failed === 0 ? 0 : 1;
