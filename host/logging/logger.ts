// The host's structured logger (pino, JSON lines). Anything that might carry a
// plugin config or a credential is redacted here, once, whoever logs it.
import { pino, type DestinationStream, type Logger } from "pino";

export type { Logger };

export interface LoggerOptions {
  level: string;
  /** Where lines go; stdout when omitted. */
  destination?: DestinationStream;
}

const REDACT = ["cfg", "*.cfg", "headers.cfg", "headers.authorization", "*.headers.cfg", "*.headers.authorization", "password", "*.password"];

export function createLogger({ level, destination }: LoggerOptions): Logger {
  const options = {
    level,
    base: { service: "hiagent-plugin-runtime" },
    redact: { paths: REDACT, censor: "[redacted]" },
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}
