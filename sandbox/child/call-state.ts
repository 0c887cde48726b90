// The host-side state of one call inside a sandbox child: its deadline, the host
// operations it has open (timers, fetches, response bodies, stream credit), its log
// budget and its resource receipt. Ending a call cancels everything it left open.
import type { CallKind } from "../protocol.ts";
import type { CallUsage, IsolateTarget } from "../sandbox-api.ts";
import type { PluginIsolate } from "./plugin-isolate.ts";

export interface OpenBody {
  iterator: AsyncIterator<Uint8Array>;
  reading: boolean;
}

export class CallState {
  readonly startedAt = process.hrtime.bigint();
  readonly deadline: number;
  #controller: AbortController | null = null;
  readonly timers = new Map<string, NodeJS.Timeout>();
  readonly fetches = new Map<string, AbortController>();
  readonly bodies = new Map<string, OpenBody>();
  fetchCount = 0;
  fetchBytes = 0;
  logLines = 0;
  logDropped = 0;
  streamSent = 0;
  streamCredited = 0;
  creditWaiter: string | null = null;
  cpuStart: bigint;
  ended = false;
  timedOut = false;
  canceled = false;
  watchdog: NodeJS.Timeout | null = null;
  /** Called with each refused fetch, for the call's log. */
  onFetchDenied?: (err: Error) => void;

  constructor(
    readonly id: number,
    readonly callId: string,
    readonly kind: CallKind | "load",
    readonly target: IsolateTarget,
    readonly plugin: string,
    readonly tool: string,
    readonly isolate: PluginIsolate,
    timeoutMs: number,
  ) {
    this.deadline = Date.now() + timeoutMs;
    this.cpuStart = isolate.cpuNs;
  }

  /** Aborted when the call ends; made on first use, since most calls never fetch. */
  get controller(): AbortController {
    this.#controller ??= new AbortController();
    return this.#controller;
  }

  remainingMs(): number {
    return Math.max(1, this.deadline - Date.now());
  }

  /** Cancels everything the call left open on the host side. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.watchdog) clearTimeout(this.watchdog);
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.#controller?.abort();
    for (const c of this.fetches.values()) c.abort();
    this.fetches.clear();
    for (const b of this.bodies.values()) void b.iterator.return?.().catch(() => {});
    this.bodies.clear();
  }

  usage(): CallUsage {
    const wallNs = process.hrtime.bigint() - this.startedAt;
    const cpuNs = this.isolate.cpuNs - this.cpuStart;
    return {
      cpu_ms: Math.max(0, Number(cpuNs) / 1e6),
      wall_ms: Number(wallNs) / 1e6,
      heap_peak_bytes: this.isolate.sampleHeap(),
      fetch_count: this.fetchCount,
      fetch_bytes: this.fetchBytes,
    };
  }
}
