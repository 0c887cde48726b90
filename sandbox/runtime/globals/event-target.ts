// EventTarget: listener registration (capture, once, passive, signal) and dispatch
// for targets without parents, which is every target that exists in the sandbox.

import { DOMException } from "./dom-exception.ts";
import { Event, eventState } from "./event.ts";
import { requireArguments } from "./webidl-arguments.ts";

export type EventListenerCallback = ((event: Event) => unknown) | { handleEvent(event: Event): unknown };

export interface AddEventListenerOptions {
  capture?: boolean;
  once?: boolean;
  passive?: boolean;
  signal?: AbortSignalLike;
}

/** The part of AbortSignal that listener removal needs (kept structural to avoid an import cycle). */
interface AbortSignalLike {
  readonly aborted: boolean;
  addEventListener(type: string, callback: () => void): void;
}

const NONE = 0;
const AT_TARGET = 2;

interface Listener {
  callback: EventListenerCallback;
  capture: boolean;
  once: boolean;
  passive: boolean;
  removed: boolean;
}

// A listener's exception must not stop the other listeners or reach the caller of
// dispatchEvent; like a browser, report it to the console the realm has at the time.
function reportListenerError(error: unknown): void {
  const console = (globalThis as { console?: { error?: (...data: unknown[]) => void } }).console;
  try {
    console?.error?.(error);
  } catch {
    // A broken console must not break dispatch.
  }
}

/** Dispatches an event; `trusted` marks events that the platform itself fires (abort). */
export let dispatchEventAt!: (target: EventTarget, event: Event, trusted: boolean) => boolean;

export class EventTarget {
  // Static, so the name survives a minifier renaming the class.
  static get name(): string {
    return "EventTarget";
  }

  get [Symbol.toStringTag](): string {
    return "EventTarget";
  }

  #listeners = new Map<string, Listener[]>();

  addEventListener(
    type: string,
    callback: EventListenerCallback | null,
    options?: boolean | AddEventListenerOptions,
  ): void {
    requireArguments(arguments.length, 2, "EventTarget.addEventListener");
    type = String(type);
    const flags = typeof options === "object" && options !== null ? options : { capture: Boolean(options) };
    const capture = Boolean(flags.capture);
    const signal = flags.signal;
    if (signal !== undefined && (typeof signal !== "object" || signal === null || !("aborted" in signal))) {
      throw new TypeError("EventTarget.addEventListener: 'signal' is not an AbortSignal.");
    }
    if (callback === null || callback === undefined) return;
    if (typeof callback !== "function" && typeof callback !== "object") {
      throw new TypeError("EventTarget.addEventListener: the listener is not an object.");
    }
    if (signal?.aborted) return;
    let list = this.#listeners.get(type);
    if (list === undefined) this.#listeners.set(type, (list = []));
    for (const existing of list) if (existing.callback === callback && existing.capture === capture) return;
    const listener: Listener = {
      callback,
      capture,
      once: Boolean(flags.once),
      passive: Boolean(flags.passive),
      removed: false,
    };
    list.push(listener);
    signal?.addEventListener("abort", () => this.#remove(type, listener));
  }

  removeEventListener(
    type: string,
    callback: EventListenerCallback | null,
    options?: boolean | { capture?: boolean },
  ): void {
    requireArguments(arguments.length, 2, "EventTarget.removeEventListener");
    type = String(type);
    const capture = Boolean(typeof options === "object" && options !== null ? options.capture : options);
    const list = this.#listeners.get(type);
    if (list === undefined) return;
    for (const listener of list) {
      if (listener.callback === callback && listener.capture === capture) {
        this.#remove(type, listener);
        return;
      }
    }
  }

  dispatchEvent(event: Event): boolean {
    requireArguments(arguments.length, 1, "EventTarget.dispatchEvent");
    if (!(event instanceof Event)) throw new TypeError("EventTarget.dispatchEvent: the argument is not an Event.");
    return dispatchEventAt(this, event, false);
  }

  #remove(type: string, listener: Listener): void {
    listener.removed = true;
    const list = this.#listeners.get(type);
    if (list === undefined) return;
    const index = list.indexOf(listener);
    if (index >= 0) list.splice(index, 1);
    if (list.length === 0) this.#listeners.delete(type);
  }

  static {
    dispatchEventAt = (target, event, trusted) => {
      const state = eventState(event);
      if (state.dispatching) throw new DOMException("The event is already being dispatched.", "InvalidStateError");
      state.dispatching = true;
      state.trusted = trusted;
      state.target = state.currentTarget = target;
      state.phase = AT_TARGET;
      const list = target.#listeners.get(state.type)?.slice();
      if (list !== undefined) {
        // At the target, capturing listeners run before the others.
        for (const capturePass of [true, false]) {
          for (const listener of list) {
            if (listener.removed || listener.capture !== capturePass) continue;
            if (listener.once) target.#remove(state.type, listener);
            state.inPassiveListener = listener.passive;
            try {
              const callback = listener.callback;
              if (typeof callback === "function") callback.call(target, event);
              else callback.handleEvent(event);
            } catch (error) {
              reportListenerError(error);
            }
            state.inPassiveListener = false;
            if (state.stopImmediatePropagation) break;
          }
          if (state.stopImmediatePropagation) break;
        }
      }
      state.phase = NONE;
      state.currentTarget = null;
      state.dispatching = false;
      state.stopPropagation = false;
      state.stopImmediatePropagation = false;
      return !state.canceled;
    };
  }
}
