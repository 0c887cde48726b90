// Messages between the SandboxProcessPool (in the host process) and a sandbox child
// process, over the fork IPC channel. One file, so both sides agree by construction.
import type { ErrorBody } from "./errors.ts";
import type { SandboxOptions } from "./options.ts";
import type { CallUsage, IsolateTarget, PackageTarget, PluginMeta, SandboxEngine } from "./sandbox-api.ts";

/** A response's head as the fetch relay hands it to the child (body follows as chunks). */
export interface RelayedHead {
  status: number;
  statusText: string;
  url: string;
  redirected: boolean;
  headers: [string, string][];
}

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
      /**
       * [placeholder, real value] of each secret. Kept by the host's doors (fetch relay,
       * HMAC) and taken off the message before it is sent: the child never gets it.
       */
      secrets?: [string, string][];
    }
  | { t: "cancel"; id: number; reason: "client" | "timeout" }
  | { t: "credit"; id: number; n: number }
  | { t: "inspect"; id: number; pkg: string; version: string; code: string }
  | { t: "drop"; id: number; pkg: string; version: string }
  | { t: "prepare"; target: PackageTarget }
  | { t: "stats"; id: number }
  // Answers to the child's requests for an installed version's files (`rid` is the child's).
  | { t: "files"; rid: number; code: string; cache: string | null; origins: string[] }
  | { t: "source_map"; rid: number; text: string | null }
  | { t: "files_error"; rid: number; error: ErrorBody }
  // The fetch relay: the host carries out the child's fetch `fid`; body chunks (base64)
  // come while the child has credit, one chunk per credit.
  | { t: "fetch_head"; fid: number; head: RelayedHead }
  | { t: "fetch_chunk"; fid: number; data: string }
  | { t: "fetch_end"; fid: number }
  | { t: "fetch_error"; fid: number; error: ErrorBody }
  // The HMAC the child asked for (`sid`): the MAC's latin1 bytes, or an error body's JSON.
  | { t: "signed"; sid: number; ok: boolean; payload: string };

export type ChildMessage =
  // seccomp: null when the child loaded its seccomp filter, else why it did not.
  | { t: "ready"; pid: number; engine: SandboxEngine; seccomp: string | null }
  | { t: "result"; id: number; json: string; usage: CallUsage }
  | { t: "error"; id: number; error: ErrorBody; usage?: CallUsage }
  | { t: "chunk"; id: number; json: string }
  | { t: "end"; id: number; usage: CallUsage }
  | { t: "inspected"; id: number; plugins: PluginMeta[]; codeCache: string | null }
  | { t: "done"; id: number }
  | { t: "stats"; id: number; warm: number; inFlight: number; spares: string[] }
  | {
      t: "log";
      level: LogLevel;
      msg: string;
      fields: LogFields;
      /** Set on a plugin's own `ctx.log` lines: the id of the call that wrote it, so the line also reaches that call's sink. */
      call?: number;
    }
  // The child reads no package files itself: it asks the host for them.
  | { t: "files_get"; rid: number; dir: string }
  | { t: "source_map_get"; rid: number; dir: string }
  // The fetch relay: a fetch of call `id` (the isolate's request, as BridgedRequest JSON),
  // more credit for its body, or its abort (also ends a body the child stopped reading).
  | { t: "fetch"; fid: number; id: number; payload: string }
  | { t: "fetch_credit"; fid: number; n: number }
  | { t: "fetch_abort"; fid: number }
  // An HMAC for call `id` ({hash, key, data} as latin1 text), signed by the host with the call's secrets.
  | { t: "sign"; sid: number; id: number; payload: string };

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
