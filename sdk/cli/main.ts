// The `hiagent-plugin` command line: finds the command, runs it, and turns failures
// into one `error: …` line with a non-zero exit status. The only module of the CLI
// that touches process (argv, streams, signals, exit).
import "../../host/supported-node.ts";
import { CliError, type CliIo, type Command } from "./command.ts";

interface CommandEntry {
  name: string;
  summary: string;
  /** Commands load on use: the runtime they pull in is not needed for `--help`. */
  load(): Promise<Command>;
}

const COMMANDS: readonly CommandEntry[] = [
  { name: "init", summary: "scaffold a new plugin folder", load: async () => (await import("./commands/init.ts")).initCommand },
  { name: "build", summary: "bundle and check the plugin as the server would; print its tools", load: async () => (await import("./commands/build.ts")).buildCommand },
  { name: "run", summary: "run one tool in the real sandbox", load: async () => (await import("./commands/run.ts")).runCommand },
  { name: "pack", summary: "write dist/{name}-{version}.zip for InstallPackage", load: async () => (await import("./commands/pack.ts")).packCommand },
  { name: "serve", summary: "serve the plugin over HTTP, reinstalling it on change", load: async () => (await import("./commands/serve.ts")).serveCommand },
];

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `Usage: hiagent-plugin <command> [options]

Commands:
${lines.join("\n")}

Run hiagent-plugin <command> --help for a command's options.`;
}

/** One line for anything thrown: the runtime's errors carry a code worth showing. */
function describeError(err: unknown): string {
  if (err instanceof CliError) return err.message;
  const code = (err as { code?: unknown } | null)?.code;
  const message = err instanceof Error ? err.message : String(err);
  return typeof code === "string" && /^[A-Z]/.test(code) ? `${code}: ${message}` : message;
}

export async function main(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    io.out.write(`${usage()}\n`);
    return name === undefined ? 2 : 0;
  }
  const entry = COMMANDS.find((c) => c.name === name);
  if (!entry) {
    io.err.write(`error: unknown command ${JSON.stringify(name)} (commands: ${COMMANDS.map((c) => c.name).join(", ")})\n`);
    return 2;
  }
  try {
    const command = await entry.load();
    return await command.run(rest, io);
  } catch (err) {
    io.err.write(`error: ${describeError(err).replace(/\s*\n\s*/g, " ")}\n`);
    return err instanceof CliError ? err.exitCode : 1;
  }
}

export async function runFromProcess(): Promise<void> {
  const controller = new AbortController();
  process.once("SIGINT", () => controller.abort());
  process.once("SIGTERM", () => controller.abort());
  const code = await main(process.argv.slice(2), { out: process.stdout, err: process.stderr, cwd: process.cwd(), signal: controller.signal });
  process.exitCode = code;
  // A handle left open by a dependency must not keep a finished command alive.
  setTimeout(() => process.exit(code), 500).unref();
}
