// Child process for the cross-process publish test: builds a marker folder and
// publishes it at a shared start time, then prints "won" or the error code.
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { PackagePublisher } from "../../../host/package/package-publisher.ts";

const [extensions = "", marker = "", startAt = "0"] = process.argv.slice(2);
const dir = path.join(extensions, ".staging", `proc-${marker}`, "out");
await mkdir(dir, { recursive: true });
await writeFile(path.join(dir, "meta.json"), JSON.stringify({ marker }));
await sleep(Math.max(0, Number(startAt) - Date.now()));
try {
  await new PackagePublisher(extensions).publish(dir, "calc", "1.0.0", { force: false });
  process.stdout.write("won");
} catch (err) {
  process.stdout.write(String((err as { code?: string }).code ?? err));
}
