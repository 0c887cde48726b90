// The install runner with its accounting: every job's outcome and duration, and the time
// spent in each stage (from one onStage report to the next), whichever queue runs it.
import type { InstallRunner } from "../jobs/index.ts";
import type { RuntimeMetrics } from "./runtime-metrics.ts";
import { errorCodeOf } from "./error-code.ts";

/** `runner` itself when the node keeps no metrics. */
export function meteredInstallRunner(runner: InstallRunner, metrics: RuntimeMetrics | undefined): InstallRunner {
  if (metrics === undefined) return runner;
  return async (request, ctx) => {
    const started = performance.now();
    let stage: { name: string; at: number } | undefined;
    const endStage = (now: number): void => {
      if (stage !== undefined) metrics.installStage(stage.name, (now - stage.at) / 1000);
    };
    const onStage: typeof ctx.onStage = (name, progress) => {
      const now = performance.now();
      if (stage?.name !== name) {
        endStage(now);
        stage = { name, at: now };
      }
      ctx.onStage(name, progress);
    };
    let code: string | undefined;
    try {
      return await runner(request, { signal: ctx.signal, onStage });
    } catch (err) {
      code = errorCodeOf(err);
      throw err;
    } finally {
      const now = performance.now();
      endStage(now);
      metrics.installJob(code, (now - started) / 1000);
    }
  };
}
