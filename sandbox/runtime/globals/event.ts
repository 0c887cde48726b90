// Event: the object that EventTarget.dispatchEvent hands to listeners. Its state is
// one private record, which event-target.ts reads and writes through eventState
// (one private field rather than fourteen: private names are costly to set up in
// every fresh isolate).

import { requireArguments } from "./webidl-arguments.ts";

export interface EventInit {
  bubbles?: boolean;
  cancelable?: boolean;
  composed?: boolean;
}

/** An event's state, as the dispatch algorithm sees it. */
export interface EventState {
  readonly type: string;
  readonly bubbles: boolean;
  readonly cancelable: boolean;
  readonly composed: boolean;
  readonly timeStamp: number;
  target: object | null;
  currentTarget: object | null;
  phase: number;
  trusted: boolean;
  dispatching: boolean;
  canceled: boolean;
  inPassiveListener: boolean;
  stopPropagation: boolean;
  stopImmediatePropagation: boolean;
}

// Time origin for Event#timeStamp: milliseconds since the globals were installed.
const timeOrigin = Date.now();

/** The state of an event, for the dispatch algorithm only. */
export let eventState!: (event: Event) => EventState;

export class Event {
  static get NONE(): number {
    return 0;
  }
  static get CAPTURING_PHASE(): number {
    return 1;
  }
  static get AT_TARGET(): number {
    return 2;
  }
  static get BUBBLING_PHASE(): number {
    return 3;
  }

  // Static, so the name survives a minifier renaming the class.
  static get name(): string {
    return "Event";
  }

  get [Symbol.toStringTag](): string {
    return "Event";
  }

  #state: EventState;

  constructor(type: string, init: EventInit = {}) {
    requireArguments(arguments.length, 1, "Event constructor");
    this.#state = {
      type: String(type),
      bubbles: Boolean(init?.bubbles),
      cancelable: Boolean(init?.cancelable),
      composed: Boolean(init?.composed),
      timeStamp: Date.now() - timeOrigin,
      target: null,
      currentTarget: null,
      phase: 0,
      trusted: false,
      dispatching: false,
      canceled: false,
      inPassiveListener: false,
      stopPropagation: false,
      stopImmediatePropagation: false,
    };
  }

  get type(): string {
    return this.#state.type;
  }
  get target(): object | null {
    return this.#state.target;
  }
  get srcElement(): object | null {
    return this.#state.target;
  }
  get currentTarget(): object | null {
    return this.#state.currentTarget;
  }
  get eventPhase(): number {
    return this.#state.phase;
  }
  get bubbles(): boolean {
    return this.#state.bubbles;
  }
  get cancelable(): boolean {
    return this.#state.cancelable;
  }
  get composed(): boolean {
    return this.#state.composed;
  }
  get defaultPrevented(): boolean {
    return this.#state.canceled;
  }
  get isTrusted(): boolean {
    return this.#state.trusted;
  }
  get timeStamp(): number {
    return this.#state.timeStamp;
  }
  get returnValue(): boolean {
    return !this.#state.canceled;
  }
  set returnValue(value: boolean) {
    if (!value) this.preventDefault();
  }
  get cancelBubble(): boolean {
    return this.#state.stopPropagation;
  }
  set cancelBubble(value: boolean) {
    if (value) this.#state.stopPropagation = true;
  }

  // The phase constants are readable from instances too.
  get NONE(): number {
    return 0;
  }
  get CAPTURING_PHASE(): number {
    return 1;
  }
  get AT_TARGET(): number {
    return 2;
  }
  get BUBBLING_PHASE(): number {
    return 3;
  }

  // Targets here have no parents, so the path is the current target alone.
  composedPath(): object[] {
    const current = this.#state.currentTarget;
    return current === null ? [] : [current];
  }

  preventDefault(): void {
    const state = this.#state;
    if (state.cancelable && !state.inPassiveListener) state.canceled = true;
  }

  stopPropagation(): void {
    this.#state.stopPropagation = true;
  }

  stopImmediatePropagation(): void {
    this.#state.stopPropagation = true;
    this.#state.stopImmediatePropagation = true;
  }

  static {
    eventState = (event) => event.#state;
  }
}
