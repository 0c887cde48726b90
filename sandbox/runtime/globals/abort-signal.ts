// AbortSignal: an EventTarget that fires "abort" once, carrying a reason. Signals made
// by AbortSignal.any follow their sources; there are no timers here, so no timeout().

import { DOMException } from "./dom-exception.ts";
import { Event } from "./event.ts";
import { EventTarget, dispatchEventAt } from "./event-target.ts";
import { requireArguments } from "./webidl-arguments.ts";

type AbortHandler = ((this: AbortSignal, event: Event) => unknown) | null;

const CONSTRUCT = Symbol("AbortSignal.construct");

/** Creates a signal that is not aborted yet (what `new AbortController().signal` is). */
export let createAbortSignal!: () => AbortSignal;

/** Aborts a signal and the signals that depend on it; a no-op once it is aborted. */
export let abortSignal!: (signal: AbortSignal, reason: unknown) => void;

export class AbortSignal extends EventTarget {
  #aborted = false;
  #reason: unknown = undefined;
  #onabort: AbortHandler = null;
  #onabortListener: ((event: Event) => void) | null = null;
  // Made by AbortSignal.any: follows its sources rather than being aborted directly.
  #isDependent = false;
  #sources: AbortSignal[] = [];
  // Held strongly: a dependent signal with listeners must fire even if nothing else
  // references it. Made on first use, dropped when this signal aborts.
  #dependents: Set<AbortSignal> | null = null;

  // Static, so the name survives a minifier renaming the class.
  static override get name(): string {
    return "AbortSignal";
  }

  override get [Symbol.toStringTag](): string {
    return "AbortSignal";
  }

  constructor(token?: unknown) {
    if (token !== CONSTRUCT) throw new TypeError("Illegal constructor");
    super();
  }

  get aborted(): boolean {
    return this.#aborted;
  }

  get reason(): unknown {
    return this.#reason;
  }

  throwIfAborted(): void {
    if (this.#aborted) throw this.#reason;
  }

  get onabort(): AbortHandler {
    return this.#onabort;
  }

  set onabort(handler: AbortHandler) {
    this.#onabort = typeof handler === "function" ? handler : null;
    if (this.#onabort !== null && this.#onabortListener === null) {
      this.#onabortListener = (event) => this.#onabort?.call(this, event);
      this.addEventListener("abort", this.#onabortListener);
    } else if (this.#onabort === null && this.#onabortListener !== null) {
      this.removeEventListener("abort", this.#onabortListener);
      this.#onabortListener = null;
    }
  }

  static abort(reason?: unknown): AbortSignal {
    const signal = createAbortSignal();
    signal.#aborted = true;
    signal.#reason = reason === undefined ? defaultReason() : reason;
    return signal;
  }

  static any(signals: Iterable<AbortSignal>): AbortSignal {
    requireArguments(arguments.length, 1, "AbortSignal.any");
    const list = [...signals];
    for (const signal of list) {
      if (!(signal instanceof AbortSignal)) throw new TypeError("AbortSignal.any: every item must be an AbortSignal.");
    }
    const result = createAbortSignal();
    for (const signal of list) {
      if (signal.#aborted) {
        result.#aborted = true;
        result.#reason = signal.#reason;
        return result;
      }
    }
    result.#isDependent = true;
    for (const signal of list) {
      for (const source of signal.#isDependent ? signal.#sources : [signal]) {
        if (source.#aborted || result.#sources.includes(source)) continue;
        result.#sources.push(source);
        (source.#dependents ??= new Set()).add(result);
      }
    }
    return result;
  }

  static {
    createAbortSignal = () => new AbortSignal(CONSTRUCT);

    abortSignal = (signal, reason) => {
      if (signal.#aborted) return;
      signal.#aborted = true;
      signal.#reason = reason === undefined ? defaultReason() : reason;
      const dependents: AbortSignal[] = [];
      for (const dependent of signal.#dependents ?? []) {
        if (dependent.#aborted) continue;
        dependent.#aborted = true;
        dependent.#reason = signal.#reason;
        dependents.push(dependent);
      }
      signal.#dependents = null;
      fireAbort(signal);
      for (const dependent of dependents) fireAbort(dependent);
    };

    const fireAbort = (signal: AbortSignal): void => {
      for (const source of signal.#sources) source.#dependents?.delete(signal);
      signal.#sources = [];
      dispatchEventAt(signal, new Event("abort"), true);
    };
  }
}

function defaultReason(): DOMException {
  return new DOMException("This operation was aborted", "AbortError");
}
