// Our sandbox prelude (web globals, SDK, zod, dispatcher) and a plugin bundle in a
// QuickJS context (quickjs-emscripten, WebAssembly) instead of a V8 isolate, so a cold
// start in the other safe engine does exactly the work ours does. The host bridge is
// stubbed: the tools measured here never fetch, log or wait on timers.
import { getQuickJS, type QuickJSContext, type QuickJSHandle, type QuickJSRuntime } from "quickjs-emscripten";
import { packCall } from "../../sandbox/child/plugin-isolate.ts";

const HOOKS = ["__hb_op", "__hb_log", "__hb_emit", "__hb_random"] as const;
const MAX_BYTES = 10 * 1024 * 1024;

export class QuickJsPluginContext {
  private constructor(
    private readonly runtime: QuickJSRuntime,
    private readonly context: QuickJSContext,
  ) {}

  /** A fresh runtime and context with the prelude evaluated (what a spare isolate holds). */
  static async create(prelude: string, memoryLimitMb = 128): Promise<QuickJsPluginContext> {
    const QuickJS = await getQuickJS();
    const runtime = QuickJS.newRuntime();
    runtime.setMemoryLimit(memoryLimitMb * 1024 * 1024);
    const context = runtime.newContext();
    const self = new QuickJsPluginContext(runtime, context);
    try {
      for (const name of HOOKS) {
        const fn = context.newFunction(name, () => context.newString(""));
        context.setProp(context.global, name, fn);
        fn.dispose();
      }
      self.evalToString(`globalThis.__entry = ${prelude}; ""`, "hiagent:runtime");
      return self;
    } catch (err) {
      self.dispose();
      throw err;
    }
  }

  /** Evaluates the bundle (CommonJS text) and registers its plugins. */
  load(code: string): void {
    const result = this.evalToString(`__entry.load((function (module, exports, require) {${code}\n}), ${MAX_BYTES})`, "bundle.js");
    if (result.charAt(0) !== "R") throw new Error(`bundle failed to load in QuickJS: ${result.slice(0, 300)}`);
  }

  /** One tool call through the dispatcher; returns the tool's JSON text. */
  call(plugin: string, tool: string, inputJson: string): string {
    const packed = JSON.stringify(packCall({ kind: "tool", callId: "bench-call", plugin, tool, inputJson, cfgJson: "null", tenant: "bench" }));
    const promise = this.context.unwrapResult(this.context.evalCode(`__entry.dispatch(${packed})`));
    try {
      this.runtime.executePendingJobs();
      const state = this.context.getPromiseState(promise);
      if (state.type !== "fulfilled") throw new Error(`tool call did not settle in QuickJS (${state.type})`);
      const text = this.context.getString(state.value);
      state.value.dispose();
      if (text.charAt(0) !== "R") throw new Error(`tool call failed in QuickJS: ${text.slice(0, 300)}`);
      return text.slice(1);
    } finally {
      promise.dispose();
    }
  }

  dispose(): void {
    this.context.dispose();
    this.runtime.dispose();
  }

  private evalToString(code: string, filename: string): string {
    const handle: QuickJSHandle = this.context.unwrapResult(this.context.evalCode(code, filename));
    try {
      return this.context.getString(handle);
    } finally {
      handle.dispose();
    }
  }
}
