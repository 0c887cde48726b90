// The host side of one sandbox child's fetches. The child has no network: it sends the
// isolate's request here, the FetchBridge carries it out (origin policy of the call's
// package as the host read it, address policy at connect, per-call request cap counted
// here), and the head and body go back as messages: one body chunk per credit the
// child granted, so a plugin that reads slowly makes the host read slowly too.
import type { FetchBridge, FetchContext } from "./bridge/fetch-bridge.ts";
import type { GuardedResponse } from "./bridge/guarded-fetch.ts";
import { RuntimeError } from "./errors.ts";
import type { ChildMessage, ParentMessage } from "./protocol.ts";

/** Chunks the child may be sent before it grants credit (sandbox/child/host-link.ts). */
const INITIAL_CREDIT = 8;
/** Request counts kept for loads (negative call ids), whose end the host is not told. */
const MAX_LOAD_COUNTS = 256;

type FetchMessage = Extract<ChildMessage, { fid: number }>;

interface Flight {
  call: number;
  controller: AbortController;
  credit: number;
  wake: (() => void) | null;
}

export interface FetchRelayContext {
  bridge: FetchBridge;
  /** Whose call `id` is, and the origins its package may fetch from ([] when not a call). */
  contextOf(call: number): Promise<FetchContext>;
  send(msg: ParentMessage): void;
}

export class FetchRelay {
  private readonly flights = new Map<number, Flight>();
  private readonly counts = new Map<number, number>();

  constructor(private readonly ctx: FetchRelayContext) {}

  handle(msg: FetchMessage): void {
    switch (msg.t) {
      case "fetch":
        void this.start(msg.fid, msg.id, msg.payload);
        return;
      case "fetch_credit": {
        const flight = this.flights.get(msg.fid);
        if (!flight) return;
        flight.credit += Math.max(0, Math.min(msg.n, INITIAL_CREDIT));
        this.wake(flight);
        return;
      }
      case "fetch_abort":
        this.abort(msg.fid);
        return;
    }
  }

  private async start(fid: number, call: number, payload: string): Promise<void> {
    if (this.flights.has(fid)) return;
    const flight: Flight = { call, controller: new AbortController(), credit: INITIAL_CREDIT, wake: null };
    this.flights.set(fid, flight);
    // Counted here, not by the child: a child cannot talk its way past the cap.
    const count = this.counts.get(call) ?? 0;
    this.counts.set(call, count + 1);
    if (call < 0 && this.counts.size > MAX_LOAD_COUNTS) {
      for (const id of this.counts.keys()) if (id < 0 && id !== call) {
        this.counts.delete(id);
        break;
      }
    }
    let response: GuardedResponse;
    try {
      const context = await this.ctx.contextOf(call);
      response = await this.ctx.bridge.fetch(payload, context, count, flight.controller.signal);
    } catch (err) {
      this.fail(fid, err);
      return;
    }
    if (this.flights.get(fid) !== flight) {
      await response.body.cancel();
      return;
    }
    const { status, statusText, url, redirected, headers } = response;
    this.ctx.send({ t: "fetch_head", fid, head: { status, statusText, url, redirected, headers } });
    try {
      for await (const chunk of response.body) {
        while (flight.credit <= 0 && this.flights.get(fid) === flight) await new Promise<void>((resolve) => (flight.wake = resolve));
        if (this.flights.get(fid) !== flight) break;
        flight.credit--;
        this.ctx.send({ t: "fetch_chunk", fid, data: Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString("base64") });
      }
    } catch (err) {
      this.fail(fid, err);
      return;
    }
    if (this.flights.delete(fid)) this.ctx.send({ t: "fetch_end", fid });
  }

  private fail(fid: number, err: unknown): void {
    // An aborted flight was already dropped by the child: nothing to tell it.
    if (this.flights.delete(fid)) this.ctx.send({ t: "fetch_error", fid, error: RuntimeError.from(err).toBody() });
  }

  private wake(flight: Flight): void {
    const w = flight.wake;
    flight.wake = null;
    w?.();
  }

  private abort(fid: number): void {
    const flight = this.flights.get(fid);
    if (!flight) return;
    this.flights.delete(fid);
    flight.controller.abort(new RuntimeError("Internal", "aborted"));
    this.wake(flight);
  }

  /** A call is over: whatever it left open is stopped, and its request count forgotten. */
  callEnded(call: number): void {
    this.counts.delete(call);
    for (const [fid, flight] of this.flights) if (flight.call === call) this.abort(fid);
  }

  /** The child died or is closing. */
  close(): void {
    for (const fid of [...this.flights.keys()]) this.abort(fid);
    this.counts.clear();
  }
}
