// Plugin-side source of the object-graph walk used by the escape cases: starting from
// the given roots it visits every object and function reachable through own
// properties (values, getters, setters, symbols) and prototypes, without calling any
// getter, and reports what could only have come from the host:
// - a native function without a name other than those the language itself has
//   (an isolated-vm Callback looks exactly like that): %ThrowTypeError%, and on V8 ≥ 12
//   the accessor pair every error's own `stack` has (one pair per isolate, made by V8);
// - an object whose constructor is named like an isolated-vm or Node host class;
// - a property named like a bridge hook anywhere, or like a Node global on the global object.
export const WALK_SOURCE = String.raw`
function walkReachable(roots, limit) {
  const fnToString = Function.prototype.toString;
  const NATIVE = /\{\s*\[native code\]\s*\}\s*$/;
  const HOST_CLASS = /^(Reference|ExternalCopy|Callback|NativeModule|Isolate|Context|Script|Buffer|Process|EventEmitter|Socket|Server|IncomingMessage|ChildProcess|Worker)$/;
  const HOST_KEY = /^(_?ivm|isolated_?vm|__hb_.*)$/;
  const HOST_GLOBAL = /^(process|require|module|exports|Buffer|global|setImmediate|clearImmediate|__dirname|__filename|Deno|Bun)$/;
  const throwTypeError = Object.getOwnPropertyDescriptor(Function.prototype, "caller");
  const errorStack = Object.getOwnPropertyDescriptor(new Error(), "stack");
  const knownAnonymous = new Set([Function.prototype, throwTypeError && throwTypeError.get, errorStack && errorStack.get, errorStack && errorStack.set].filter(Boolean));
  const seen = new Set();
  const queue = [];
  const findings = [];
  const push = (value, path) => {
    if ((typeof value === "object" && value !== null) || typeof value === "function") {
      if (!seen.has(value)) {
        seen.add(value);
        queue.push([value, path]);
      }
    }
  };
  for (const [name, value] of roots) push(value, name);
  let visited = 0;
  for (let i = 0; i < queue.length && visited < limit; i++) {
    const [value, path] = queue[i];
    queue[i] = undefined;
    visited++;
    if (typeof value === "function") {
      let source = "";
      try { source = fnToString.call(value); } catch { source = ""; }
      if (NATIVE.test(source) && value.name === "" && !knownAnonymous.has(value)) findings.push("anonymous native function at " + path);
    }
    let ctorName = null;
    try {
      const d = Object.getOwnPropertyDescriptor(value, "constructor") || Object.getOwnPropertyDescriptor(Object.getPrototypeOf(value) || {}, "constructor");
      if (d && typeof d.value === "function") ctorName = d.value.name;
    } catch {}
    if (typeof ctorName === "string" && HOST_CLASS.test(ctorName)) findings.push("instance of " + ctorName + " at " + path);
    let proto = null;
    try { proto = Object.getPrototypeOf(value); } catch {}
    push(proto, path + ".[[Prototype]]");
    let keys = [];
    try { keys = Reflect.ownKeys(value); } catch {}
    for (const key of keys) {
      const name = typeof key === "symbol" ? key.toString() : key;
      if (HOST_KEY.test(name) || (path === "globalThis" && HOST_GLOBAL.test(name))) findings.push("property " + name + " at " + path);
      let d;
      try { d = Object.getOwnPropertyDescriptor(value, key); } catch { continue; }
      if (!d) continue;
      if ("value" in d) push(d.value, path + "." + name);
      if (d.get) push(d.get, path + ".get " + name);
      if (d.set) push(d.set, path + ".set " + name);
    }
  }
  return { visited, findings: findings.slice(0, 50), truncated: visited >= limit };
}
`;
