// setTimeout/clearTimeout (and setInterval) inside the isolate. The host owns the
// clock: a timer is a host operation of the call that set it, cancelled when that
// call ends, so no plugin code can run outside a call's time budget.
import { currentCall, forgetOp, signalOp, startOp } from "./bridge.ts";

const MapCtor = Map;
const timers = new MapCtor<number, { opId: string; callId: string }>();
let nextId = 1;

function arm(id: number, fn: () => void, ms: number, repeat: boolean): void {
  const callId = currentCall();
  const op = startOp("timer", String(Math.max(0, Math.min(2_147_483_647, Math.floor(Number(ms) || 0)))), callId);
  timers.set(id, { opId: op.id, callId });
  op.done.then(
    () => {
      if (!timers.has(id)) return;
      if (repeat) arm(id, fn, ms, true);
      else timers.delete(id);
      fn();
    },
    () => {
      timers.delete(id);
    },
  );
}

function schedule(handler: unknown, ms: unknown, args: unknown[], repeat: boolean): number {
  if (typeof handler !== "function") throw new TypeError("The \"callback\" argument must be of type function");
  const id = nextId++;
  arm(id, () => (handler as (...a: unknown[]) => void)(...args), Number(ms) || 0, repeat);
  return id;
}

function clear(id: unknown): void {
  const t = timers.get(Number(id));
  if (!t) return;
  timers.delete(Number(id));
  forgetOp(t.opId);
  signalOp("timer_clear", t.opId, t.callId);
}

export const timerGlobals = {
  setTimeout: (handler: unknown, ms?: unknown, ...args: unknown[]) => schedule(handler, ms, args, false),
  setInterval: (handler: unknown, ms?: unknown, ...args: unknown[]) => schedule(handler, ms, args, true),
  clearTimeout: clear,
  clearInterval: clear,
  queueMicrotask: (fn: unknown) => {
    if (typeof fn !== "function") throw new TypeError("The \"callback\" argument must be of type function");
    Promise.resolve().then(fn as () => void);
  },
};
