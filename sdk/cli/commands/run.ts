// `hiagent-plugin run`: installs the folder's plugin in a real sandbox (as the tests'
// loadPlugin does) and runs one tool, printing its result or its chunks as they come.
// A failure prints `error: <Code>: <message>` and the author's source location.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { CliError, parseCommandArgs, readJsonArg, type CliIo, type Command } from "../command.ts";
import type { LoadedPlugin } from "../../src/testing/plugin-harness.ts";

const HELP = `Usage: hiagent-plugin run [dir] --tool T [--plugin P] [--input JSON] [--cfg JSON] [--stream]

Runs one tool of the plugin in dir (default: the current folder) in the real sandbox
and prints its result: text as is, anything else as JSON. A streaming tool (one whose
metadata says it streams) has its chunks printed as they arrive. Plugin log lines go
to stderr.

Options:
  --plugin P           plugin name (default: the package's only plugin)
  --tool T             tool name (default: the plugin's only tool)
  --input JSON         the tool's input, or @file.json (default: {})
  --cfg JSON           the plugin config, or @file.json (default: null)
  --stream             call the tool as a stream even if it does not say it streams
  --allow-origin URL   let the plugin reach this loopback origin (a local fake
                       upstream), repeatable
  --tenant NAME        tenant to run as (default: cli)
  -h, --help           show this help

Exit status: 0 on success, 1 when the call fails, 2 on a usage error.`;

function pick(kind: string, given: string | undefined, names: string[], where: string): string {
  if (given !== undefined) return given;
  if (names.length === 1) return names[0]!;
  throw new CliError(`--${kind} is required: ${where} has ${names.length ? names.join(", ") : "none"}`);
}

function printValue(io: CliIo, value: unknown): void {
  io.out.write(typeof value === "string" ? `${value}\n` : `${JSON.stringify(value, null, 2)}\n`);
}

async function streamChunks(io: CliIo, plugin: LoadedPlugin, args: [string, string, unknown, unknown]): Promise<void> {
  let midLine = false;
  for await (const chunk of plugin.stream(...args)) {
    if (typeof chunk === "string") {
      io.out.write(chunk);
      midLine = !chunk.endsWith("\n");
    } else {
      io.out.write(`${midLine ? "\n" : ""}${JSON.stringify(chunk)}\n`);
      midLine = false;
    }
  }
  if (midLine) io.out.write("\n");
}

export const runCommand: Command = {
  name: "run",
  help: HELP,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs("run", argv, {
      plugin: { type: "string" },
      tool: { type: "string" },
      input: { type: "string" },
      cfg: { type: "string" },
      stream: { type: "boolean" },
      "allow-origin": { type: "string", multiple: true },
      tenant: { type: "string" },
    });
    if (values.help) {
      io.out.write(`${HELP}\n`);
      return 0;
    }
    // Loaded here, so `--help` does not wait for the runtime to load.
    const [{ loadPlugin }, { PluginCallError }] = await Promise.all([import("../../src/testing/plugin-harness.ts"), import("../../src/testing/plugin-call-error.ts")]);
    const dir = path.resolve(io.cwd, positionals[0] ?? ".");
    const readText = (file: string) => readFile(path.resolve(io.cwd, file), "utf8");
    const input = await readJsonArg("input", values.input, {}, readText);
    const cfg = await readJsonArg("cfg", values.cfg, null, readText);
    try {
      const plugin = await loadPlugin(dir, {
        allowOrigins: [...(values["allow-origin"] ?? [])],
        tenant: values.tenant ?? "cli",
        onLog: (line) => io.err.write(`[${line.level}] ${line.message}\n`),
      });
      try {
        const pluginName = pick("plugin", values.plugin, plugin.meta.plugins.map((p) => p.name), `${plugin.meta.name}@${plugin.meta.version}`);
        const meta = plugin.meta.plugins.find((p) => p.name === pluginName);
        const toolName = pick("tool", values.tool, Object.keys(meta?.tools ?? {}), `plugin ${pluginName}`);
        // A streaming tool is called as one: its chunks are what it answers.
        const streams = values.stream === true || meta?.tools[toolName]?.stream === true;
        if (streams) await streamChunks(io, plugin, [pluginName, toolName, input, cfg]);
        else printValue(io, await plugin.call(pluginName, toolName, input, cfg));
      } finally {
        await plugin.close();
      }
    } catch (err) {
      if (err instanceof TypeError && err.message.startsWith("allowOrigins:")) throw new CliError(err.message.replace("allowOrigins:", "--allow-origin:"));
      if (!(err instanceof PluginCallError)) throw err;
      io.err.write(`error: ${err.code}: ${err.message}\n`);
      if (err.location) io.err.write(`    at ${err.location}\n`);
      return 1;
    }
    return 0;
  },
};
