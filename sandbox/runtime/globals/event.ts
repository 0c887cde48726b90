// Event: the object that EventTarget.dispatchEvent hands to listeners. The dispatch
// state lives in private fields; event-target.ts drives it through EVENT_DISPATCH.

import { requireArguments } from "./webidl-arguments.ts";

export interface EventInit {
  bubbles?: boolean;
  cancelable?: boolean;
  composed?: boolean;
}

const NONE = 0;
const AT_TARGET = 2;

// Time origin for Event#timeStamp: milliseconds since the globals were installed.
const timeOrigin = Date.now();

/** The steps that only the dispatch algorithm may take on an event. */
export interface EventDispatchSteps {
  begin(event: Event, target: object, trusted: boolean): boolean;
  setListenerState(event: Event, passive: boolean): void;
  immediateStopped(event: Event): boolean;
  end(event: Event): boolean;
}

export let EVENT_DISPATCH!: EventDispatchSteps;

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

  #type: string;
  #bubbles: boolean;
  #cancelable: boolean;
  #composed: boolean;
  #timeStamp = Date.now() - timeOrigin;
  #target: object | null = null;
  #currentTarget: object | null = null;
  #phase = NONE;
  #trusted = false;
  #dispatching = false;
  #canceled = false;
  #inPassiveListener = false;
  #stopPropagation = false;
  #stopImmediatePropagation = false;

  // Static, so the name survives a minifier renaming the class.
  static get name(): string {
    return "Event";
  }

  get [Symbol.toStringTag](): string {
    return "Event";
  }

  constructor(type: string, init: EventInit = {}) {
    requireArguments(arguments.length, 1, "Event constructor");
    this.#type = String(type);
    this.#bubbles = Boolean(init?.bubbles);
    this.#cancelable = Boolean(init?.cancelable);
    this.#composed = Boolean(init?.composed);
  }

  get type(): string {
    return this.#type;
  }
  get target(): object | null {
    return this.#target;
  }
  get srcElement(): object | null {
    return this.#target;
  }
  get currentTarget(): object | null {
    return this.#currentTarget;
  }
  get eventPhase(): number {
    return this.#phase;
  }
  get bubbles(): boolean {
    return this.#bubbles;
  }
  get cancelable(): boolean {
    return this.#cancelable;
  }
  get composed(): boolean {
    return this.#composed;
  }
  get defaultPrevented(): boolean {
    return this.#canceled;
  }
  get isTrusted(): boolean {
    return this.#trusted;
  }
  get timeStamp(): number {
    return this.#timeStamp;
  }
  get returnValue(): boolean {
    return !this.#canceled;
  }
  set returnValue(value: boolean) {
    if (!value) this.preventDefault();
  }
  get cancelBubble(): boolean {
    return this.#stopPropagation;
  }
  set cancelBubble(value: boolean) {
    if (value) this.#stopPropagation = true;
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
    return this.#currentTarget === null ? [] : [this.#currentTarget];
  }

  preventDefault(): void {
    if (this.#cancelable && !this.#inPassiveListener) this.#canceled = true;
  }

  stopPropagation(): void {
    this.#stopPropagation = true;
  }

  stopImmediatePropagation(): void {
    this.#stopPropagation = true;
    this.#stopImmediatePropagation = true;
  }

  static {
    EVENT_DISPATCH = {
      begin(event, target, trusted) {
        if (event.#dispatching) return false;
        event.#dispatching = true;
        event.#trusted = trusted;
        event.#target = target;
        event.#currentTarget = target;
        event.#phase = AT_TARGET;
        return true;
      },
      setListenerState(event, passive) {
        event.#inPassiveListener = passive;
      },
      immediateStopped(event) {
        return event.#stopImmediatePropagation;
      },
      end(event) {
        event.#inPassiveListener = false;
        event.#phase = NONE;
        event.#currentTarget = null;
        event.#dispatching = false;
        event.#stopPropagation = false;
        event.#stopImmediatePropagation = false;
        return !event.#canceled;
      },
    };
  }
}

