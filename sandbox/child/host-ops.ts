// The host operations an isolate can start (SPEC §4 doors): timers, fetches and their
// response bodies. Each belongs to a call; its result goes back into the isolate as
// a `settle` entry under the call's remaining time budget. Fetches are carried out by
// the host process (the fetch relay, via HostLink): this process has no network.
import { RuntimeError } from "../errors.ts";
import type { CallState } from "./call-state.ts";
import type { HostLink } from "./host-link.ts";

const BODY_CHUNK = 256 * 1024;

let nextOp = 1;
const newOpId = (): string => String(nextOp++);

function errorJson(err: unknown): string {
  const e = err instanceof RuntimeError ? err : RuntimeError.from(err);
  // Aborts show up in the isolate as AbortError, whatever caused them on this side.
  const code = e.code === "Internal" && /abort/i.test(e.message) ? "AbortError" : e.code;
  return JSON.stringify({ code, message: e.message });
}

export class HostOps {
  constructor(private readonly link: HostLink) {}

  /** Hands a result back into the isolate, unless the call is over. */
  settle(call: CallState, opId: string, ok: boolean, payload: string): void {
    if (call.ended || call.isolate.disposed) return;
    call.isolate.settle(call.callId, opId, ok, payload, call.remainingMs()).catch(() => {
      // A settle that times out or hits a disposed isolate: the call's own watchdog
      // and dispatch promise report the failure.
    });
  }

  start(call: CallState, kind: string, payload: string): string {
    switch (kind) {
      case "timer":
        return this.timer(call, Number(payload));
      case "timer_clear": {
        const t = call.timers.get(payload);
        if (t) clearTimeout(t);
        call.timers.delete(payload);
        return "0";
      }
      case "fetch":
        return this.fetch(call, payload);
      case "wasm_memory": {
        // The isolate's WebAssembly budget reports what it holds, for the receipt.
        const bytes = Math.max(0, Number(payload) || 0);
        call.isolate.wasmMemoryBytes = bytes;
        if (bytes > call.wasmPeak) call.wasmPeak = bytes;
        return "0";
      }
      case "fetch_abort":
        call.fetches.get(payload)?.abort(new RuntimeError("Internal", "aborted"));
        return "0";
      case "hmac":
        return this.hmac(call, payload);
      case "body_read":
        return this.bodyRead(call, payload);
      case "body_cancel": {
        const body = call.bodies.get(payload);
        call.bodies.delete(payload);
        void body?.iterator.return?.().catch(() => undefined);
        return "0";
      }
      default:
        return "!" + JSON.stringify({ code: "Internal", message: `unknown operation ${kind}` });
    }
  }

  private timer(call: CallState, ms: number): string {
    const id = newOpId();
    const delay = Number.isFinite(ms) ? Math.max(0, Math.min(ms, call.remainingMs() + 1000)) : 0;
    call.timers.set(
      id,
      setTimeout(() => {
        call.timers.delete(id);
        this.settle(call, id, true, "");
      }, delay),
    );
    return id;
  }

  private fetch(call: CallState, payload: string): string {
    const id = newOpId();
    const controller = new AbortController();
    const onCallEnd = () => controller.abort(new RuntimeError("Internal", "aborted"));
    call.controller.signal.addEventListener("abort", onCallEnd, { once: true });
    call.fetches.set(id, controller);
    call.fetchCount++;
    // The host puts the call's secrets in (it has them from the call message itself).
    const response = this.link.fetch(call.id, payload, controller.signal);
    call.watchFetch(payload, response);
    response
      .then((res) => {
        const bodyId = newOpId();
        call.bodies.set(bodyId, { iterator: res.body[Symbol.asyncIterator](), reading: false });
        this.settle(
          call,
          id,
          true,
          JSON.stringify({ status: res.status, statusText: res.statusText, url: res.url, redirected: res.redirected, headers: res.headers, body: bodyId }),
        );
      })
      .catch((err: unknown) => {
        if (err instanceof RuntimeError && err.code === "FetchDenied") call.onFetchDenied?.(err);
        this.settle(call, id, false, errorJson(err));
      })
      .finally(() => {
        call.fetches.delete(id);
        call.controller.signal.removeEventListener("abort", onCallEnd);
      });
    return id;
  }

  /** HMAC of `{hash, key, data}` (latin1 bytes), computed by the host with the call's secrets; settled as the MAC's latin1 bytes. */
  private hmac(call: CallState, payload: string): string {
    const id = newOpId();
    this.link.sign(call.id, payload).then(
      (mac) => this.settle(call, id, true, mac),
      (err: unknown) => this.settle(call, id, false, errorJson(err)),
    );
    return id;
  }

  private bodyRead(call: CallState, bodyId: string): string {
    const id = newOpId();
    const body = call.bodies.get(bodyId);
    if (!body || body.reading) {
      queueMicrotask(() => this.settle(call, id, false, JSON.stringify({ code: "ToolError", message: body ? "body is already being read" : "body is closed" })));
      return id;
    }
    body.reading = true;
    body.iterator
      .next()
      .then(({ done, value }) => {
        body.reading = false;
        if (done || !value) {
          call.bodies.delete(bodyId);
          this.settle(call, id, true, "e");
          return;
        }
        call.fetchBytes += value.byteLength;
        // Big chunks are split so one settle never carries more than BODY_CHUNK bytes.
        const buf = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
        if (buf.length > BODY_CHUNK) {
          const rest = buf.subarray(BODY_CHUNK);
          const original = body.iterator;
          let pushedBack = false;
          body.iterator = {
            next: async () => {
              if (!pushedBack) {
                pushedBack = true;
                body.iterator = original;
                return { done: false, value: new Uint8Array(rest.buffer, rest.byteOffset, rest.byteLength) };
              }
              return original.next();
            },
            return: original.return?.bind(original),
          } as AsyncIterator<Uint8Array>;
          call.fetchBytes -= rest.length;
          this.settle(call, id, true, "d" + buf.subarray(0, BODY_CHUNK).toString("latin1"));
          return;
        }
        this.settle(call, id, true, "d" + buf.toString("latin1"));
      })
      .catch((err: unknown) => {
        body.reading = false;
        call.bodies.delete(bodyId);
        this.settle(call, id, false, errorJson(err));
      });
    return id;
  }
}
