// Config loading for the entry points (API node, worker): a bad config or a failed
// start ends the process with one line on stderr and exit code 1.
import { ConfigError, loadConfig, type LoadedConfig } from "./config/index.ts";

export function fail(message: string): never {
  process.stderr.write(message.replace(/\s*\n\s*/g, " ") + "\n");
  process.exit(1);
}

/** Loads the config from the environment the entry point hands over (only it reads process.env). */
export function loadConfigOrExit(env: NodeJS.ProcessEnv, cwd: string): LoadedConfig {
  try {
    return loadConfig({ env, cwd });
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    throw err;
  }
}
