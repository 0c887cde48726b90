// What every `hiagent-plugin` command is: a name, its help, and a run function that
// gets its own arguments. Commands write to the streams they are given (never to
// process.stdout directly), so tests can run them in-process.
import { parseArgs, type ParseArgsConfig } from "node:util";

export interface CliIo {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  cwd: string;
  /** Aborted on Ctrl-C; long-running commands (serve) stop when it fires. */
  signal: AbortSignal;
}

export interface Command {
  name: string;
  /** The full `--help` text. */
  help: string;
  /** Resolves with the process exit code. */
  run(argv: string[], io: CliIo): Promise<number>;
}

/** A usage mistake or an expected failure: printed as one `error: …` line, no stack. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
    this.name = "CliError";
  }
}

type Options = NonNullable<ParseArgsConfig["options"]>;

/** parseArgs with `--help` handled and its errors turned into one readable line. */
export function parseCommandArgs<O extends Options>(command: string, argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, options: { ...options, help: { type: "boolean", short: "h" } }, allowPositionals: true, strict: true });
  } catch (err) {
    const message = err instanceof Error ? err.message.split("\n")[0] : String(err);
    throw new CliError(`${message} (see hiagent-plugin ${command} --help)`);
  }
}

/** `value`, or the contents of the file after `@` (`--cfg @cfg.json`), parsed as JSON. */
export async function readJsonArg(name: string, value: string | undefined, fallback: unknown, readText: (file: string) => Promise<string>): Promise<unknown> {
  if (value === undefined) return fallback;
  const text = value.startsWith("@") ? await readText(value.slice(1)).catch(() => {
    throw new CliError(`--${name}: cannot read ${value.slice(1)}`);
  }) : value;
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new CliError(`--${name} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
}

export function formatBytes(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} kB`;
}
