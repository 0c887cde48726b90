// The host-side state of one call inside a sandbox child: its deadline, the host
// operations it has open (timers, fetches, response bodies, stream credit), its log
// budget and its resource receipt. Ending a call cancels everything it left open.
// A call's identity (`callId`, the key of every map of running calls and what the
// isolate names the call by) is minted here, never taken from a client: the client's
// request id is only the `requestId` label its log lines carry.
import { randomUUID } from "node:crypto";
import type { RelayedResponse } from "./host-link.ts";
import { RuntimeError } from "../errors.ts";
import type { CallKind } from "../protocol.ts";
import type { CallUsage, IsolateTarget } from "../sandbox-api.ts";
import type { PluginIsolate } from "./plugin-isolate.ts";

export interface OpenBody {
  iterator: AsyncIterator<Uint8Array>;
  reading: boolean;
}

/** One fetch of a call, as its log line reports it. */
export interface FetchReport {
  /** Where the bytes came from (the final URL's origin), or the URL asked for when it failed; a non-http URL shows its scheme only. */
  origin: string;
  status: number | null;
  /** Response body bytes read. */
  bytes: number;
  refused: boolean;
  /** The failure's code (FetchDenied, AbortError, …). */
  code?: string;
}

function originOf(url: unknown): string {
  try {
    const u = new URL(String(url));
    return u.protocol === "http:" || u.protocol === "https:" ? u.origin : u.protocol;
  } catch {
    return "(not a URL)";
  }
}

function requestedUrl(payload: string): unknown {
  try {
    return (JSON.parse(payload) as { url?: unknown }).url;
  } catch {
    return undefined;
  }
}

export class CallState {
  /** The call's identity in this process and its isolate: unique and unguessable. */
  readonly callId: string = randomUUID();
  readonly startedAt = process.hrtime.bigint();
  readonly deadline: number;
  #controller: AbortController | null = null;
  readonly timers = new Map<string, NodeJS.Timeout>();
  readonly fetches = new Map<string, AbortController>();
  readonly bodies = new Map<string, OpenBody>();
  fetchCount = 0;
  fetchBytes = 0;
  logLines = 0;
  wasmPeak = 0;
  logDropped = 0;
  streamSent = 0;
  streamCredited = 0;
  creditWaiter: string | null = null;
  cpuStart: bigint;
  ended = false;
  timedOut = false;
  canceled = false;
  /** What the watchdog does when the deadline passes (set by the runner). */
  onDeadline: (() => void) | null = null;
  /** Called with each refused fetch, for the call's log. */
  onFetchDenied?: (err: Error) => void;
  /** Told of each fetch once the call is over (so its byte count is final), for the call's log. */
  onFetch?: (report: FetchReport) => void;
  private readonly watchedFetches: Promise<() => FetchReport>[] = [];

  constructor(
    readonly id: number,
    /** The client's request id: a label for log lines only. */
    readonly requestId: string,
    readonly kind: CallKind | "load",
    readonly target: IsolateTarget,
    readonly plugin: string,
    readonly tool: string,
    readonly isolate: PluginIsolate,
    timeoutMs: number,
  ) {
    this.deadline = Date.now() + timeoutMs;
    this.cpuStart = isolate.cpuNs;
    this.wasmPeak = isolate.wasmMemoryBytes;
  }

  /** Aborted when the call ends; made on first use, since most calls never fetch. */
  get controller(): AbortController {
    this.#controller ??= new AbortController();
    return this.#controller;
  }

  /** Follows one fetch of the call, to report it through `onFetch` when the call ends. */
  watchFetch(payload: string, response: Promise<RelayedResponse>): void {
    if (this.onFetch === undefined) return;
    this.watchedFetches.push(
      response.then(
        (res) => () => ({ origin: originOf(res.url), status: res.status, bytes: res.body.bytesRead, refused: false }),
        (err: unknown) => {
          const e = RuntimeError.from(err);
          const code = e.code === "Internal" && /abort/i.test(e.message) ? "AbortError" : e.code;
          const report: FetchReport = { origin: originOf(requestedUrl(payload)), status: null, bytes: 0, refused: code === "FetchDenied", code };
          return () => report;
        },
      ),
    );
  }

  remainingMs(): number {
    return Math.max(1, this.deadline - Date.now());
  }

  /** Cancels everything the call left open on the host side. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.#controller?.abort();
    for (const c of this.fetches.values()) c.abort();
    this.fetches.clear();
    for (const b of this.bodies.values()) void b.iterator.return?.().catch(() => {});
    this.bodies.clear();
    const onFetch = this.onFetch;
    if (onFetch !== undefined && this.watchedFetches.length > 0) {
      // Aborted fetches settle just after this; their lines follow the call's end.
      void Promise.all(this.watchedFetches).then((reports) => {
        for (const report of reports) onFetch(report());
      });
    }
  }

  usage(): CallUsage {
    const wallNs = process.hrtime.bigint() - this.startedAt;
    const cpuNs = this.isolate.cpuNs - this.cpuStart;
    return {
      cpu_ms: Math.max(0, Number(cpuNs) / 1e6),
      wall_ms: Number(wallNs) / 1e6,
      heap_peak_bytes: this.isolate.sampleHeap(),
      wasm_memory_bytes: this.wasmPeak,
      fetch_count: this.fetchCount,
      fetch_bytes: this.fetchBytes,
    };
  }
}
