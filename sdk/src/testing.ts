// `hiagent-plugin-sdk/testing`: load a plugin package into the sandbox the server uses
// and call its tools from an author's tests. Node-side only (the plugin itself imports
// `hiagent-plugin-sdk`, which stays free of Node APIs). The modules behind it import
// the runtime's builder and sandbox by relative path: the SDK is a workspace of the
// runtime's repository, so tests run exactly the code the server runs.
export { loadPlugin } from "./testing/plugin-harness.ts";
export type { CallOptions, LoadedPlugin, LoadPluginOptions, PluginLogLine, SandboxOptionsInput } from "./testing/plugin-harness.ts";
export { PluginCallError } from "./testing/plugin-call-error.ts";
export { startFakeUpstream, sendJson } from "./testing/fake-upstream.ts";
export type { FakeUpstream, RecordedRequest, UpstreamHandler } from "./testing/fake-upstream.ts";
export type { PackageMeta } from "../../host/package/index.ts";
export type { CallUsage } from "../../sandbox/index.ts";
export type { ErrorCode } from "../../sandbox/errors.ts";
