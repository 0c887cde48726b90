// WebAssembly inside the isolate. Two things differ from a browser's:
//
// Memory. A WebAssembly memory lives outside the V8 heap, so the isolate's memory limit
// does not see it. Here it is budgeted: every memory (made by `new WebAssembly.Memory`
// or defined by a module) gets a `maximum` no larger than what is left of the isolate's
// limit, so neither `grow` from JavaScript nor `memory.grow` inside the module can take
// more; asking for more than is left is `ToolMemoryLimit`. A memory's share is given back
// once it is garbage. Shared memory (a SharedArrayBuffer) is refused. The isolate's total
// goes to the host for the call's receipt (`wasm_memory_bytes`).
//
// Promises. V8's asynchronous compile settles only when the embedder pumps its tasks,
// which isolated-vm does only on the next entry into the isolate: a plugin awaiting
// `WebAssembly.instantiate(bytes)` would hang until its time limit. So the promise APIs
// compile synchronously (counted against the call's own time) and hand back a settled
// promise, with the standard shapes.
//
// The original constructors stay in this closure: the wrappers are plain functions
// sharing their prototypes, so no prototype chain leads back to them.
import { makeError, signalOp } from "./bridge.ts";
import { capDefinedMemories, type DefinedMemory } from "./wasm-memory-section.ts";

type Ctor = new (...args: unknown[]) => object;
type WA = Record<string, unknown> & { Module: Ctor; Instance: Ctor; Memory: Ctor };

const PAGE = 65_536;
const reflectApply = Reflect.apply;
const reflectConstruct = Reflect.construct;
const defineProperty = Object.defineProperty;
const ownKeys = Reflect.ownKeys;
const objectValues = Object.values;
const getOwnPropertyDescriptor = Object.getOwnPropertyDescriptor;
const floor = Math.floor;
const NumberCtor = Number;
const TypeErrorCtor = TypeError;
const promiseResolve = Promise.resolve.bind(Promise);
const promiseReject = Promise.reject.bind(Promise);
const WeakMapCtor = WeakMap;
const weakGet = WeakMap.prototype.get;
const weakSet = WeakMap.prototype.set;
const WeakRefCtor = WeakRef;
const deref = WeakRef.prototype.deref;
const ArrayBufferCtor = ArrayBuffer;

/** The isolate's memory limit in bytes, put on the global by the sandbox process before this script. */
function takeBudget(): number {
  const g = globalThis as unknown as Record<string, unknown>;
  const value = g.__hb_memory_limit;
  delete g.__hb_memory_limit;
  return typeof value === "number" && value > 0 ? value : 128 * 1024 * 1024;
}

function memoryLimit(message: string): Error {
  return makeError("ToolMemoryLimit", `the plugin exceeded its memory limit: ${message}`);
}

function sharedRefused(): TypeError {
  return new TypeErrorCtor("shared WebAssembly memory is not available in the sandbox (it would be a SharedArrayBuffer)");
}

export function patchWebAssembly(target: { WebAssembly?: WA }): void {
  const wa = target.WebAssembly;
  if (!wa) return;
  const OrigModule = wa.Module;
  const OrigInstance = wa.Instance;
  const OrigMemory = wa.Memory;
  const budget = takeBudget();
  const budgetPages = floor(budget / PAGE);
  const gcTrigger = budget * 2 > 2 ** 30 ? budget * 2 : 2 ** 30;
  let reserved = 0;

  /** One reservation, given back once every object holding its memory is garbage. */
  interface Share {
    bytes: number;
    holders: WeakRef<object>[];
  }
  let shares: Share[] = [];
  const report = (): void => signalOp("wasm_memory", NumberCtor(reserved).toFixed(0));
  const reserve = (bytes: number, holders: object[]): void => {
    const refs: WeakRef<object>[] = [];
    for (let i = 0; i < holders.length; i++) defineProperty(refs, i, { value: new WeakRefCtor(holders[i]!), enumerable: true, writable: true, configurable: true });
    defineProperty(shares, shares.length, { value: { bytes, holders: refs }, enumerable: true, writable: true, configurable: true });
    reserved += bytes;
    report();
  };
  /**
   * Gives back the shares of memories that are garbage. Only when a reservation would
   * fail: it forces a full GC (isolated-vm makes one before refusing an ArrayBuffer
   * beyond the limit; see the prelude's `compact`), then looks at what is left.
   */
  const reclaim = (): void => {
    try {
      new ArrayBufferCtor(gcTrigger);
    } catch {
      // refused, as intended
    }
    const kept: Share[] = [];
    for (let i = 0; i < shares.length; i++) {
      const share = shares[i]!;
      let alive = false;
      for (let j = 0; j < share.holders.length; j++) if (reflectApply(deref, share.holders[j]!, []) !== undefined) alive = true;
      if (alive) defineProperty(kept, kept.length, { value: share, enumerable: true, writable: true, configurable: true });
      else reserved -= share.bytes;
    }
    shares = kept;
    report();
  };
  /** Whether `bytes` more fit, after reclaiming garbage if they do not at first. */
  const fits = (bytes: number): boolean => {
    if (bytes <= budget - reserved) return true;
    if (shares.length > 0) reclaim();
    return bytes <= budget - reserved;
  };
  const pagesLeft = (): number => floor((budget - reserved) / PAGE);

  /** The page cap of each memory made here, and the maximum it asked for. */
  const caps = new WeakMapCtor<object, { pages: number; asked: number | null }>();

  const Memory = function Memory(this: unknown, descriptor: unknown): object {
    if (new.target === undefined) throw new TypeErrorCtor("WebAssembly.Memory must be called with new");
    const d = (descriptor ?? {}) as Record<string, unknown>;
    // Each field read once, as a primitive, so what is judged is what V8 gets.
    const initial = NumberCtor(d.initial);
    const askedRaw = d.maximum;
    const asked = askedRaw === undefined ? null : NumberCtor(askedRaw);
    if (d.shared) throw sharedRefused();
    if (initial >= 0) fits(initial * PAGE);
    const left = pagesLeft();
    if (initial > left) throw memoryLimit(`a WebAssembly memory of ${initial} pages is more than the ${left} pages left`);
    const pages = asked === null || !(asked <= left) ? left : asked;
    const memory = reflectConstruct(OrigMemory, [{ initial, maximum: pages }], new.target) as object;
    reflectApply(weakSet, caps, [memory, { pages, asked }]);
    reserve(pages * PAGE, [memory]);
    return memory;
  };

  const memoryProto = OrigMemory.prototype as Record<string, unknown>;
  const origGrow = memoryProto.grow as (delta: number) => number;
  const bufferGetter = getOwnPropertyDescriptor(memoryProto, "buffer")?.get;
  const byteLengthGetter = getOwnPropertyDescriptor(ArrayBuffer.prototype, "byteLength")?.get;
  const grow = function grow(this: object, delta: unknown): number {
    const pages = NumberCtor(delta);
    const cap = reflectApply(weakGet, caps, [this]) as { pages: number; asked: number | null } | undefined;
    if (cap !== undefined && bufferGetter !== undefined && byteLengthGetter !== undefined) {
      const current = (reflectApply(byteLengthGetter, reflectApply(bufferGetter, this, []), []) as number) / PAGE;
      // Past the module's own maximum is its own RangeError; past the budget is the limit.
      if (current + pages > cap.pages && (cap.asked === null || current + pages <= cap.asked)) {
        throw memoryLimit(`growing a WebAssembly memory to ${current + pages} pages is more than its ${cap.pages} pages`);
      }
    }
    return reflectApply(origGrow, this, [pages]);
  };

  /** The module's bytes with each defined memory capped to what `leftPages` affords; sets `capping`. */
  let capping = { need: 0, first: { pages: 0, asked: null as number | null } };
  const capTo = (source: unknown, leftPages: number) => {
    let left = leftPages;
    capping = { need: 0, first: { pages: 0, asked: null } };
    return capDefinedMemories(source, (memory: DefinedMemory, index: number) => {
      if (memory.shared) throw sharedRefused();
      if (memory.initial > left) throw memoryLimit(`the module's memory of ${memory.initial} pages is more than the ${left} pages left`);
      const pages = memory.maximum === null || memory.maximum > left ? left : memory.maximum;
      left -= pages;
      if (index === 0) capping.first = { pages, asked: memory.maximum };
      capping.need += pages * PAGE;
      return pages;
    });
  };

  interface Defined {
    /** Bytes its memories may take (their capped maxima), and the first one's cap. */
    need: number;
    first: { pages: number; asked: number | null };
    /** The module as it came, to compile again with lower caps when less is left at instantiation. */
    original: Uint8Array;
  }
  const defined = new WeakMapCtor<object, Defined>();

  const Module = function Module(this: unknown, bytes: unknown): object {
    if (new.target === undefined) throw new TypeErrorCtor("WebAssembly.Module must be called with new");
    const capped = capTo(bytes, budgetPages);
    const module = reflectConstruct(OrigModule, [capped.bytes], new.target) as object;
    if (capping.need > 0 && capped.original !== null) reflectApply(weakSet, defined, [module, { need: capping.need, first: capping.first, original: capped.original }]);
    return module;
  };

  const exportsGetter = getOwnPropertyDescriptor(OrigInstance.prototype, "exports")?.get;
  const Instance = function Instance(this: unknown, moduleArg: unknown, imports?: unknown): object {
    if (new.target === undefined) throw new TypeErrorCtor("WebAssembly.Instance must be called with new");
    let module = moduleArg;
    let info = typeof module === "object" && module !== null ? (reflectApply(weakGet, defined, [module]) as Defined | undefined) : undefined;
    if (info !== undefined && !fits(info.need)) {
      // Less is left than the module was capped to at compile time: the same module, capped to what is left.
      const again = capTo(info.original, pagesLeft());
      module = reflectConstruct(OrigModule, [again.bytes], OrigModule) as object;
      info = { need: capping.need, first: capping.first, original: info.original };
    }
    const instance = reflectConstruct(OrigInstance, [module, imports], new.target) as object;
    if (info !== undefined && info.need > 0) {
      // The module's memory lives while the instance or any memory it exports does.
      const holders: object[] = [instance];
      const exported = exportsGetter === undefined ? [] : objectValues(reflectApply(exportsGetter, instance, []) as object);
      for (let i = 0; i < exported.length; i++) {
        const value: unknown = exported[i];
        if (value instanceof OrigMemory) {
          defineProperty(holders, holders.length, { value, enumerable: true, writable: true, configurable: true });
          if (reflectApply(weakGet, caps, [value]) === undefined) reflectApply(weakSet, caps, [value, info.first]);
        }
      }
      reserve(info.need, holders);
    }
    return instance;
  };

  const wrap = (wrapper: (...args: never[]) => object, original: Ctor): void => {
    for (const key of ownKeys(original)) {
      if (key === "prototype" || key === "length" || key === "name") continue;
      defineProperty(wrapper, key, getOwnPropertyDescriptor(original, key)!);
    }
    defineProperty(wrapper, "prototype", { value: original.prototype, writable: false, enumerable: false, configurable: false });
    defineProperty(original.prototype, "constructor", { value: wrapper, writable: true, enumerable: false, configurable: true });
  };
  wrap(Memory, OrigMemory);
  wrap(Module, OrigModule);
  wrap(Instance, OrigInstance);
  defineProperty(memoryProto, "grow", { value: grow, writable: true, enumerable: true, configurable: true });

  const NewModule = Module as unknown as Ctor;
  const NewInstance = Instance as unknown as Ctor;
  const settle = <T>(fn: () => T): Promise<T> => {
    try {
      return promiseResolve(fn());
    } catch (err) {
      return promiseReject(err);
    }
  };
  const bytesOf = async (source: unknown): Promise<ArrayBuffer> => {
    const s = await source;
    if (s && typeof (s as { arrayBuffer?: unknown }).arrayBuffer === "function") return (s as { arrayBuffer(): Promise<ArrayBuffer> }).arrayBuffer();
    throw new TypeErrorCtor("WebAssembly streaming APIs take a Response");
  };
  const define = (name: string, value: unknown) => defineProperty(wa, name, { value, writable: true, configurable: true, enumerable: false });
  define("Module", Module);
  define("Instance", Instance);
  define("Memory", Memory);
  define("compile", (bytes: unknown) => settle(() => new NewModule(bytes)));
  define("instantiate", (source: unknown, imports?: object) =>
    settle(() => {
      if (source instanceof OrigModule) return new NewInstance(source, imports);
      const module = new NewModule(source);
      return { module, instance: new NewInstance(module, imports) };
    }),
  );
  define("compileStreaming", async (source: unknown) => new NewModule(await bytesOf(source)));
  define("instantiateStreaming", async (source: unknown, imports?: object) => {
    const module = new NewModule(await bytesOf(source));
    return { module, instance: new NewInstance(module, imports) };
  });
}
