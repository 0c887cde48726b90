// `hiagent-plugin pack [dir]`: writes dist/{name}-{version}.zip, the archive that
// InstallPackage accepts, after checking it the way `build` does.
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { formatBytes, parseCommandArgs, type Command } from "../command.ts";

const HELP = `Usage: hiagent-plugin pack [dir] [--out-dir DIR] [--no-check]

Zips the plugin in dir (default: the current folder) into dist/{name}-{version}.zip:
every file except dotfiles, dist/ and node_modules/, plus the packages under
node_modules/ that "dependencies" names (vendored). The package is first built and
checked as InstallPackage would.

Options:
  --out-dir DIR  where to write the zip (default: dist inside dir)
  --no-check     skip the build check
  -h, --help     show this help`;

export const packCommand: Command = {
  name: "pack",
  help: HELP,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs("pack", argv, { "out-dir": { type: "string" }, "no-check": { type: "boolean" } });
    if (values.help) {
      io.out.write(`${HELP}\n`);
      return 0;
    }
    // Loaded here, so `--help` does not wait for the runtime to load.
    const [{ checkPackage }, { packFolder }] = await Promise.all([import("../package-check.ts"), import("../../src/testing/package-archive.ts")]);
    const dir = path.resolve(io.cwd, positionals[0] ?? ".");
    const packed = values["no-check"] ? await packFolder(dir) : (await checkPackage(dir)).packed;
    const outDir = values["out-dir"] ? path.resolve(io.cwd, values["out-dir"]) : path.join(dir, "dist");
    await mkdir(outDir, { recursive: true });
    const file = path.join(outDir, packed.filename);
    await writeFile(file, packed.zip);
    const shown = path.relative(io.cwd, file) || file;
    io.out.write(`wrote ${shown} (${formatBytes(packed.zip.byteLength)}, ${packed.files.length} files)\n`);
    io.out.write(
      `install: curl -X POST http://127.0.0.1:8000/v1/InstallPackage -d '${JSON.stringify({ uri: `file://${file}`, filename: packed.filename, force: true })}'\n`,
    );
    return 0;
  },
};
