// `hiagent-plugin serve [dir]`: a local runtime with the folder's plugin installed,
// reinstalled on every change, for trying it over HTTP (the /v1 API and /docs).
import path from "node:path";
import { CliError, parseCommandArgs, type Command } from "../command.ts";

const HELP = `Usage: hiagent-plugin serve [dir] [--port N] [--host H] [--allow-origin URL]

Starts the plugin runtime (the same server as npm start) with the plugin in dir
(default: the current folder) installed, and reinstalls it whenever a file changes.
A build that fails is reported and the last good build keeps serving. Ctrl-C stops.

Options:
  --port N             port to listen on (default: 8000; 0 picks a free one)
  --host H             address to listen on (default: 127.0.0.1)
  --allow-origin URL   let the plugin reach this loopback origin, repeatable
  --log-level LEVEL    server log level on stderr (default: warn)
  -h, --help           show this help`;

export const serveCommand: Command = {
  name: "serve",
  help: HELP,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs("serve", argv, {
      port: { type: "string" },
      host: { type: "string" },
      "allow-origin": { type: "string", multiple: true },
      "log-level": { type: "string" },
    });
    if (values.help) {
      io.out.write(`${HELP}\n`);
      return 0;
    }
    // Loaded here, so `--help` does not wait for the runtime to load.
    const { DevServer } = await import("../dev-server.ts");
    const port = Number(values.port ?? "8000");
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliError(`--port must be a port number, not ${values.port}`);
    const server = new DevServer({
      dir: path.resolve(io.cwd, positionals[0] ?? "."),
      host: values.host ?? "127.0.0.1",
      port,
      logLevel: values["log-level"] ?? "warn",
      logTo: io.err,
      allowOrigins: [...(values["allow-origin"] ?? [])],
      report: (line) => io.out.write(`${line}\n`),
    });
    try {
      await server.start();
      io.out.write(`serving on ${server.url} (API docs: ${server.url}/docs); watching for changes, Ctrl-C to stop\n`);
      await new Promise<void>((resolve) => {
        if (io.signal.aborted) resolve();
        io.signal.addEventListener("abort", () => resolve(), { once: true });
      });
    } finally {
      await server.close();
    }
    return 0;
  },
};
