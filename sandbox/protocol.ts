// Messages between the SandboxProcessPool (in the host process) and a sandbox child
// process, over the fork IPC channel. One file, so both sides agree by construction.
import type { ErrorBody } from "./errors.ts";
import type { SandboxOptions } from "./options.ts";
import type { CallUsage, IsolateTarget, PackageTarget, PluginMeta, SandboxEngine } from "./sandbox-api.ts";

export type CallKind = "tool" | "stream" | "validate";

export type ParentMessage =
  | { t: "init"; options: SandboxOptions; prelude: string; isolatesCap: number }
  | {
      t: "call";
      id: number;
      kind: CallKind;
      target: IsolateTarget;
      plugin: string;
      tool: string;
      inputJson: string;
      /** The cfg with placeholders in place of its secrets (sandbox/call-secrets.ts). */
      cfgJson: string;
      /** The client's request id: a log label only; the child mints the call's identity. */
      requestId: string;
      /** [placeholder, real value] of each secret, for the fetch bridge and HMAC signing of this process. */
      secrets?: [string, string][];
    }
  | { t: "cancel"; id: number; reason: "client" | "timeout" }
  | { t: "credit"; id: number; n: number }
  | { t: "inspect"; id: number; pkg: string; version: string; code: string }
  | { t: "drop"; id: number; pkg: string; version: string }
  | { t: "prepare"; target: PackageTarget }
  | { t: "stats"; id: number };

export type ChildMessage =
  | { t: "ready"; pid: number; engine: SandboxEngine }
  | { t: "result"; id: number; json: string; usage: CallUsage }
  | { t: "error"; id: number; error: ErrorBody; usage?: CallUsage }
  | { t: "chunk"; id: number; json: string }
  | { t: "end"; id: number; usage: CallUsage }
  | { t: "inspected"; id: number; plugins: PluginMeta[]; codeCache: string | null }
  | { t: "done"; id: number }
  | { t: "stats"; id: number; warm: number; inFlight: number }
  | {
      t: "log";
      level: LogLevel;
      msg: string;
      fields: LogFields;
      /** Set on a plugin's own `ctx.log` lines: the id of the call that wrote it, so the line also reaches that call's sink. */
      call?: number;
    };

export type LogLevel = "debug" | "info" | "warn" | "error";

export interface LogFields {
  tenant?: string;
  pkg?: string;
  version?: string;
  plugin?: string;
  tool?: string;
  call_id?: string;
  [key: string]: unknown;
}

/** Written to stderr (synchronously) by a child about to abort, so the pool knows why it died. */
export const FATAL_MARKER = "HIAGENT_SANDBOX_FATAL";
