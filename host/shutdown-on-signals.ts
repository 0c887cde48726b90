// Graceful shutdown for the entry points (API node, worker): the first SIGINT/SIGTERM
// closes everything and exits 0; a second one, a while later, exits at once. A second
// signal right after the first is the same Ctrl-C arriving twice (the terminal signals
// the whole process group, and `tsx` relays it to the process it runs), so it is ignored.
import type { Logger } from "./logging/logger.ts";

const REPEAT_WINDOW_MS = 1000;

export function shutdownOnSignals(close: () => Promise<void>, logger: Logger): void {
  let stoppingSince = 0;
  const stop = (signal: NodeJS.Signals): void => {
    if (stoppingSince > 0) {
      if (Date.now() - stoppingSince < REPEAT_WINDOW_MS) return;
      logger.warn({ signal }, "second signal: exiting without waiting");
      process.exit(1);
    }
    stoppingSince = Date.now();
    logger.info({ signal }, "shutting down");
    void close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}
