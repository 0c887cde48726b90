// The isolate-snapshot alternative to a code cache (SPEC §2 step 7, §9.9): a V8 startup
// snapshot of our prelude (web globals, SDK, zod, dispatcher), optionally with the
// plugin bundle already loaded, restored into a new isolate per cold start. The host
// callbacks cannot live in a snapshot, so they are stubbed here; the echo tool needs none.
import ivm from "isolated-vm";
import { packCall } from "../../sandbox/child/plugin-isolate.ts";

const HOOK_STUBS = `globalThis.__hb_op = globalThis.__hb_log = globalThis.__hb_emit = globalThis.__hb_random = function () { return ""; };`;
const MAX_BYTES = 10 * 1024 * 1024;

export type SnapshotContent = "prelude" | "prelude+bundle";

export interface SnapshotArtifact {
  content: SnapshotContent;
  snapshot: ivm.ExternalCopy<ArrayBuffer>;
  bytes: number;
  createMs: number;
}

function loadScript(code: string): string {
  return `{ const r = __entry.load((function (module, exports, require) {${code}\n}), ${MAX_BYTES}); if (r.charAt(0) !== "R") throw new Error("bundle failed to load: " + r); }`;
}

export function createSnapshot(prelude: string, bundle: string, content: SnapshotContent): SnapshotArtifact {
  const started = performance.now();
  const scripts = [{ code: `${HOOK_STUBS}\nglobalThis.__entry = ${prelude};`, filename: "hiagent:runtime" }];
  if (content === "prelude+bundle") scripts.push({ code: loadScript(bundle), filename: "bundle.js" });
  const snapshot = ivm.Isolate.createSnapshot(scripts);
  return { content, snapshot, bytes: snapshot.copy().byteLength, createMs: performance.now() - started };
}

export interface SnapshotStart {
  /** New isolate from the snapshot plus a context. */
  restoreMs: number;
  /** Loading the bundle (only when the snapshot holds the prelude alone). */
  loadMs: number;
  firstCallMs: number;
  warmCallMs: number;
  /** Why the call failed, when it did: the finding, not an exception. */
  failure: string | null;
}

async function dispatch(context: ivm.Context, plugin: string, tool: string, inputJson: string): Promise<string> {
  const packed = JSON.stringify(packCall({ kind: "tool", callId: "bench-call", plugin, tool, inputJson, cfgJson: "null", tenant: "bench" }));
  const text = (await context.eval(`__entry.dispatch(${packed})`, { promise: true, copy: true })) as unknown;
  return typeof text === "string" ? text : "";
}

/** One cold start from the snapshot: restore, (load,) first call, then a warm call. */
export async function startFromSnapshot(artifact: SnapshotArtifact, bundle: string, call: { plugin: string; tool: string; inputJson: string }): Promise<SnapshotStart> {
  const t0 = performance.now();
  const isolate = new ivm.Isolate({ snapshot: artifact.snapshot, memoryLimit: 128 });
  try {
    const context = await isolate.createContext();
    const t1 = performance.now();
    let failure: string | null = null;
    if (artifact.content === "prelude") {
      await context.eval(loadScript(bundle), { filename: "bundle.js" }).catch((err: unknown) => {
        failure = `load: ${err instanceof Error ? err.message : String(err)}`;
      });
    }
    const t2 = performance.now();
    const first = failure ? "" : await dispatch(context, call.plugin, call.tool, call.inputJson).catch((err: unknown) => `X${err instanceof Error ? err.message : String(err)}`);
    const t3 = performance.now();
    if (!failure && first.charAt(0) !== "R") failure = `call: ${first.slice(1, 300)}`;
    const t4 = performance.now();
    if (!failure) await dispatch(context, call.plugin, call.tool, call.inputJson);
    const t5 = performance.now();
    return { restoreMs: t1 - t0, loadMs: t2 - t1, firstCallMs: t3 - t2, warmCallMs: t5 - t4, failure };
  } finally {
    isolate.dispose();
  }
}
