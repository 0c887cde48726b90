// `hiagent-plugin build [dir]`: bundles and checks the plugin folder as the server
// would install it, and prints its plugins, tools and input schemas.
import path from "node:path";
import { formatBytes, parseCommandArgs, type Command } from "../command.ts";
import { describePackage } from "../meta-printer.ts";

const HELP = `Usage: hiagent-plugin build [dir] [--json]

Bundles the plugin in dir (default: the current folder) with the server's own
builder, evaluates it once in the sandbox, and prints its plugins, tools and their
input schemas. Fails with the error InstallPackage would give.

Options:
  --json      print the package metadata (as InstallPackage returns it) as JSON
  -h, --help  show this help`;

export const buildCommand: Command = {
  name: "build",
  help: HELP,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs("build", argv, { json: { type: "boolean" } });
    if (values.help) {
      io.out.write(`${HELP}\n`);
      return 0;
    }
    // Loaded here, so `--help` does not wait for the runtime to load.
    const { checkPackage } = await import("../package-check.ts");
    const dir = path.resolve(io.cwd, positionals[0] ?? ".");
    const { packed, meta, elapsedMs } = await checkPackage(dir);
    if (values.json) {
      io.out.write(`${JSON.stringify(meta, null, 2)}\n`);
      return 0;
    }
    const tools = meta.plugins.reduce((n, p) => n + Object.keys(p.tools).length, 0);
    io.out.write(
      `${meta.name}@${meta.version}: ok, ${meta.plugins.length} plugin(s), ${tools} tool(s) ` +
        `(${packed.files.length} files, zip ${formatBytes(packed.zip.byteLength)}, ${Math.round(elapsedMs)} ms)\n`,
    );
    io.out.write(`${describePackage(meta)}\n`);
    return 0;
  },
};
