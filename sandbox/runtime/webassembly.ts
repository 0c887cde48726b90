// WebAssembly inside the isolate. V8's asynchronous compile settles only when the
// embedder pumps its tasks, which isolated-vm does only on the next entry into the
// isolate: a plugin awaiting `WebAssembly.instantiate(bytes)` would hang until its
// time limit. So the promise APIs compile synchronously (counted against the call's
// own time) and hand back a settled promise, with the standard shapes.

type WA = {
  Module: new (bytes: unknown) => object;
  Instance: new (module: object, imports?: object) => object;
  compile?: unknown;
  instantiate?: unknown;
  compileStreaming?: unknown;
  instantiateStreaming?: unknown;
};

export function patchWebAssembly(target: { WebAssembly?: WA }): void {
  const wa = target.WebAssembly;
  if (!wa) return;
  const { Module, Instance } = wa;
  const settle = <T>(fn: () => T): Promise<T> => {
    try {
      return Promise.resolve(fn());
    } catch (err) {
      return Promise.reject(err);
    }
  };
  const bytesOf = async (source: unknown): Promise<ArrayBuffer> => {
    const s = await source;
    if (s && typeof (s as { arrayBuffer?: unknown }).arrayBuffer === "function") return (s as { arrayBuffer(): Promise<ArrayBuffer> }).arrayBuffer();
    throw new TypeError("WebAssembly streaming APIs take a Response");
  };
  const define = (name: string, value: unknown) => Object.defineProperty(wa, name, { value, writable: true, configurable: true, enumerable: false });
  define("compile", (bytes: unknown) => settle(() => new Module(bytes)));
  define("instantiate", (source: unknown, imports?: object) =>
    settle(() => {
      if (source instanceof Module) return new Instance(source, imports);
      const module = new Module(source);
      return { module, instance: new Instance(module, imports) };
    }),
  );
  define("compileStreaming", async (source: unknown) => new Module(await bytesOf(source)));
  define("instantiateStreaming", async (source: unknown, imports?: object) => {
    const module = new Module(await bytesOf(source));
    return { module, instance: new Instance(module, imports) };
  });
}
