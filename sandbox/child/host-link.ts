// The child's side of the doors that only the host opens: package files and fetch. A
// walled child has no network and no view of the package folders, so it asks the host
// over the IPC channel. A fetch is relayed: the host connects (under its SSRF and origin
// policy) and sends the head, then the body in chunks, one per credit the child grants
// as the isolate reads; aborting (or leaving the body) tells the host to stop. HMACs are
// asked of the host too: the call's secrets are there, never here.
import { RuntimeError, type ErrorBody } from "../errors.ts";
import type { InstalledFiles } from "../package-files.ts";
import type { ChildMessage, ParentMessage, RelayedHead } from "../protocol.ts";
import type { PackageFileSource } from "./installed-files.ts";

/** Chunks the host may send ahead of the isolate's reads. */
export const FETCH_WINDOW = 8;

export interface RelayedBody extends AsyncIterable<Uint8Array> {
  readonly bytesRead: number;
}

export interface RelayedResponse extends RelayedHead {
  body: RelayedBody;
}

type HostReply = Extract<ParentMessage, { rid: number } | { fid: number }>;

interface Pending<T> {
  resolve(value: T): void;
  reject(err: RuntimeError): void;
}

class Flight implements RelayedBody {
  readonly chunks: Uint8Array[] = [];
  ended = false;
  error: unknown = null;
  bytesRead = 0;
  head: Pending<RelayedResponse> | null;
  private waiter: (() => void) | null = null;

  constructor(
    head: Pending<RelayedResponse>,
    private readonly credit: () => void,
    private readonly stop: () => void,
  ) {
    this.head = head;
  }

  wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return {
      next: async (): Promise<IteratorResult<Uint8Array>> => {
        for (;;) {
          const chunk = this.chunks.shift();
          if (chunk) {
            this.bytesRead += chunk.byteLength;
            this.credit();
            return { done: false, value: chunk };
          }
          if (this.error !== null) throw this.error;
          if (this.ended) return { done: true, value: undefined };
          await new Promise<void>((resolve) => (this.waiter = resolve));
        }
      },
      return: async (): Promise<IteratorResult<Uint8Array>> => {
        this.stop();
        return { done: true, value: undefined };
      },
    };
  }
}

export class HostLink implements PackageFileSource {
  private nextRid = 1;
  private nextFid = 1;
  private readonly files = new Map<number, Pending<ParentMessage>>();
  private readonly flights = new Map<number, Flight>();
  private nextSid = 1;
  private readonly signs = new Map<number, Pending<string>>();

  constructor(private readonly send: (msg: ChildMessage) => void) {}

  installed(dir: string): Promise<InstalledFiles> {
    return this.ask({ t: "files_get", rid: this.nextRid, dir }).then((msg) => {
      if (msg.t !== "files") throw new RuntimeError("Internal", "unexpected answer to a files request");
      return { code: msg.code, cache: msg.cache === null ? null : Buffer.from(msg.cache, "base64"), origins: msg.origins };
    });
  }

  sourceMap(dir: string): Promise<string | null> {
    return this.ask({ t: "source_map_get", rid: this.nextRid, dir }).then((msg) => (msg.t === "source_map" ? msg.text : null));
  }

  private ask(msg: Extract<ChildMessage, { rid: number }>): Promise<ParentMessage> {
    this.nextRid++;
    return new Promise((resolve, reject) => {
      this.files.set(msg.rid, { resolve, reject });
      this.send(msg);
    });
  }

  /** Relays the isolate's fetch (BridgedRequest JSON) of call `callId` to the host. */
  fetch(callId: number, payload: string, signal: AbortSignal): Promise<RelayedResponse> {
    const fid = this.nextFid++;
    return new Promise<RelayedResponse>((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const stop = () => {
        if (!this.flights.delete(fid)) return;
        signal.removeEventListener("abort", onAbort);
        this.send({ t: "fetch_abort", fid });
      };
      const flight = new Flight({ resolve, reject }, () => this.send({ t: "fetch_credit", fid, n: 1 }), stop);
      const onAbort = () => {
        const pending = flight.head;
        flight.head = null;
        flight.error = signal.reason;
        flight.wake();
        stop();
        pending?.reject(signal.reason as RuntimeError);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.flights.set(fid, flight);
      this.send({ t: "fetch", fid, id: callId, payload });
    });
  }

  /** Asks the host for an HMAC of call `callId` ({hash, key, data}); resolves with the MAC's latin1 bytes. */
  sign(callId: number, payload: string): Promise<string> {
    const sid = this.nextSid++;
    return new Promise<string>((resolve, reject) => {
      this.signs.set(sid, { resolve, reject });
      this.send({ t: "sign", sid, id: callId, payload });
    });
  }

  /** Takes the host's answers; false for messages that are not for the link. */
  handle(msg: ParentMessage): boolean {
    if (msg.t === "signed") {
      const pending = this.signs.get(msg.sid);
      this.signs.delete(msg.sid);
      if (msg.ok) pending?.resolve(msg.payload);
      else pending?.reject(RuntimeError.fromBody(JSON.parse(msg.payload) as ErrorBody));
      return true;
    }
    if ("rid" in msg) {
      this.answerFiles(msg as Extract<HostReply, { rid: number }>);
      return true;
    }
    if ("fid" in msg) {
      this.answerFetch(msg as Extract<HostReply, { fid: number }>);
      return true;
    }
    return false;
  }

  private answerFiles(msg: Extract<HostReply, { rid: number }>): void {
    const pending = this.files.get(msg.rid);
    if (!pending) return;
    this.files.delete(msg.rid);
    if (msg.t === "files_error") pending.reject(RuntimeError.fromBody(msg.error));
    else pending.resolve(msg);
  }

  private answerFetch(msg: Extract<HostReply, { fid: number }>): void {
    const flight = this.flights.get(msg.fid);
    if (!flight) return;
    switch (msg.t) {
      case "fetch_head": {
        const pending = flight.head;
        flight.head = null;
        pending?.resolve({ ...msg.head, body: flight });
        return;
      }
      case "fetch_chunk":
        flight.chunks.push(Buffer.from(msg.data, "base64"));
        break;
      case "fetch_end":
        flight.ended = true;
        this.flights.delete(msg.fid);
        break;
      case "fetch_error": {
        const err = RuntimeError.fromBody(msg.error);
        this.flights.delete(msg.fid);
        const pending = flight.head;
        flight.head = null;
        if (pending) return pending.reject(err);
        flight.error = err;
        break;
      }
    }
    flight.wake();
  }

  /** The host went away or the child is closing: every open request fails. */
  close(): void {
    const err = new RuntimeError("Internal", "aborted: the sandbox process is closing");
    for (const p of this.files.values()) p.reject(err);
    this.files.clear();
    for (const p of this.signs.values()) p.reject(err);
    this.signs.clear();
    for (const f of this.flights.values()) {
      f.head?.reject(err);
      f.error = err;
      f.wake();
    }
    this.flights.clear();
  }
}
