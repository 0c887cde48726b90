// `npm run bench`: runs every benchmark under bench/ (each `bench/<area>/<area>-bench.ts`)
// one after another in its own process, so each prints its tables on a quiet machine.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const benches = readdirSync(here)
  .filter((area) => statSync(join(here, area)).isDirectory())
  .map((area) => join(here, area, `${area}-bench.ts`))
  .filter((file) => {
    try {
      return statSync(file).isFile();
    } catch {
      return false;
    }
  })
  .filter((file) => only.length === 0 || only.some((name) => file.includes(name)));

console.log(`Node ${process.version}, ${new Date().toISOString()}`);
let failed = 0;
for (const file of benches) {
  console.log(`\n=== ${file.slice(here.length + 1)} ===`);
  const r = spawnSync(process.execPath, ["--import", "tsx", file], { stdio: "inherit", timeout: 10 * 60_000 });
  if (r.status !== 0) failed++;
}
process.exit(failed > 0 ? 1 : 0);
