// Per-tenant admission: at most `maxConcurrent` calls of one tenant run at once, at
// most `maxQueued` more wait in line; beyond that a call is RateLimited at once, so one
// tenant's flood cannot starve the others.
import { RuntimeError } from "./errors.ts";

interface TenantLine {
  running: number;
  waiting: (() => void)[];
}

export class TenantGate {
  private readonly lines = new Map<string, TenantLine>();

  constructor(
    private readonly maxConcurrent: number,
    private readonly maxQueued: number,
  ) {}

  /** Resolves with a release function once the call may run. */
  async enter(tenant: string, signal?: AbortSignal): Promise<() => void> {
    let line = this.lines.get(tenant);
    if (!line) {
      line = { running: 0, waiting: [] };
      this.lines.set(tenant, line);
    }
    if (line.running >= this.maxConcurrent) {
      if (line.waiting.length >= this.maxQueued) {
        throw new RuntimeError("RateLimited", `tenant ${tenant} has ${line.running} calls running and ${line.waiting.length} waiting; try again later`, {
          data: { running: line.running, queued: line.waiting.length },
        });
      }
      await new Promise<void>((resolve, reject) => {
        const wake = () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        };
        const onAbort = () => {
          const i = line!.waiting.indexOf(wake);
          if (i >= 0) line!.waiting.splice(i, 1);
          reject(new RuntimeError("ToolError", "the call was canceled before it started"));
        };
        signal?.addEventListener("abort", onAbort, { once: true });
        line!.waiting.push(wake);
      });
    } else {
      line.running++;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = line!.waiting.shift();
      if (next) {
        next();
      } else {
        line!.running--;
        if (line!.running === 0) this.lines.delete(tenant);
      }
    };
  }

  stats(tenant: string): { running: number; queued: number } {
    const line = this.lines.get(tenant);
    return { running: line?.running ?? 0, queued: line?.waiting.length ?? 0 };
  }
}
