// AbortController: the owner side of an AbortSignal.

import { AbortSignal, abortSignal, createAbortSignal } from "./abort-signal.ts";

export class AbortController {
  #signal: AbortSignal = createAbortSignal();

  // Static, so the name survives a minifier renaming the class.
  static get name(): string {
    return "AbortController";
  }

  get [Symbol.toStringTag](): string {
    return "AbortController";
  }

  get signal(): AbortSignal {
    return this.#signal;
  }

  abort(reason?: unknown): void {
    abortSignal(this.#signal, reason);
  }
}
