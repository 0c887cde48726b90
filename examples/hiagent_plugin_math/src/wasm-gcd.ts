// The GCD core is WebAssembly (src/gcd.wasm, assembled from src/gcd.wat). It is
// compiled and instantiated once per isolate, on first use, and reused by later calls.
//
// Compiling from bytes is done with the synchronous `new WebAssembly.Module`: in
// isolated-vm the promise of an asynchronous compile (`WebAssembly.instantiate(bytes)`,
// `WebAssembly.compile`) settles only when something else enters the isolate, so a call
// awaiting nothing else would wait for its time limit. Instantiating a compiled Module
// is promise-based and settles normally.
import gcdWasm from "./gcd.wasm";

/** The part of the WebAssembly API used here (the sandbox provides the whole of it). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  instantiate(module: object, imports?: object): Promise<{ exports: Record<string, unknown> }>;
}

type Gcd = (a: bigint, b: bigint) => bigint;

let gcd: Promise<Gcd> | null = null;

export function wasmGcd(): Promise<Gcd> {
  if (!gcd) {
    const { Module, instantiate } = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
    gcd = instantiate(new Module(gcdWasm), {}).then((instance) => instance.exports["gcd"] as Gcd);
    // A failed compile is not cached: the next call tries again and reports it again.
    gcd.catch(() => (gcd = null));
  }
  return gcd;
}
