// What one sandbox child may ask of the host, answered on the host side: the files of
// the package versions the host sent it (and only those), and its plugins' fetches
// (FetchRelay), and the HMACs they ask for, signed with the call's secrets, which stay
// here. One per child process run: a restarted child starts with none open.
import type { FetchBridge } from "./bridge/fetch-bridge.ts";
import { signHmac, type HmacRequest } from "./bridge/hmac-signer.ts";
import { CallSecrets } from "./bridge/secret-placeholders.ts";
import { RuntimeError } from "./errors.ts";
import { FetchRelay } from "./fetch-relay.ts";
import { readInstalled, readSourceMap, type PackageOrigins } from "./package-files.ts";
import type { ChildMessage, ParentMessage } from "./protocol.ts";
import type { ArtifactDigests } from "./sandbox-api.ts";

export interface HostDoorsContext {
  bridge: FetchBridge;
  origins: PackageOrigins;
}

type DoorMessage = Extract<ChildMessage, { t: "files_get" | "source_map_get" | "fetch" | "fetch_credit" | "fetch_abort" | "sign" }>;

export function isDoorMessage(msg: ChildMessage): msg is DoorMessage {
  return msg.t === "files_get" || msg.t === "source_map_get" || msg.t === "fetch" || msg.t === "fetch_credit" || msg.t === "fetch_abort" || msg.t === "sign";
}

/** The call message as the child gets it: without the real values of its secrets. */
export function forChild(msg: ParentMessage): ParentMessage {
  if (msg.t !== "call" || msg.secrets === undefined) return msg;
  const { secrets: _kept, ...rest } = msg;
  return rest;
}

export class HostDoors {
  /** The target of each call in flight, by call id. */
  private readonly calls = new Map<number, { tenant: string; pkg: string; version: string; dir: string; artifacts: ArtifactDigests; secrets: CallSecrets | null }>();
  /** Folders this child was sent (calls, prepares), with their verified digests: the only ones it may ask files of. */
  private readonly dirs = new Map<string, ArtifactDigests>();
  private readonly relay: FetchRelay;
  private closed = false;

  constructor(
    private readonly ctx: HostDoorsContext,
    private readonly send: (msg: ParentMessage) => void,
  ) {
    this.relay = new FetchRelay({
      bridge: ctx.bridge,
      contextOf: async (id) => {
        const target = this.calls.get(id);
        if (target === undefined) return { origins: [] };
        const { tenant, pkg, version, dir, artifacts, secrets } = target;
        return { origins: await ctx.origins.of(dir, artifacts), call: { tenant, pkg, version }, secrets };
      },
      send: (msg) => this.reply(msg),
    });
  }

  /** Sees what the host sends the child, to learn which folders it may read. */
  sent(msg: ParentMessage): void {
    if (msg.t === "call") {
      // The call's secrets as the host minted them: the relay substitutes them here.
      const secrets = msg.secrets !== undefined && msg.secrets.length > 0 ? new CallSecrets(msg.secrets) : null;
      this.calls.set(msg.id, { ...msg.target, secrets });
      this.dirs.set(msg.target.dir, msg.target.artifacts);
    } else if (msg.t === "prepare") {
      this.dirs.set(msg.target.dir, msg.target.artifacts);
    }
  }

  callEnded(id: number): void {
    this.calls.delete(id);
    this.relay.callEnded(id);
  }

  handle(msg: DoorMessage): void {
    switch (msg.t) {
      case "files_get":
        void this.files(msg.rid, msg.dir);
        return;
      case "source_map_get":
        void this.sourceMap(msg.rid, msg.dir);
        return;
      case "sign":
        this.reply(this.sign(msg));
        return;
      default:
        this.relay.handle(msg);
    }
  }

  private async files(rid: number, dir: string): Promise<void> {
    const artifacts = this.dirs.get(dir);
    if (artifacts === undefined) return this.reply({ t: "files_error", rid, error: new RuntimeError("PackageNotFound", "package files are missing").toBody() });
    try {
      const files = await readInstalled(dir, artifacts);
      this.ctx.origins.remember(dir, files.origins);
      this.reply({ t: "files", rid, code: files.code, cache: files.cache ? files.cache.toString("base64") : null, origins: files.origins });
    } catch (err) {
      this.reply({ t: "files_error", rid, error: RuntimeError.from(err).toBody() });
    }
  }

  /** An HMAC of a call in flight, with its secrets (an unknown call signs with the plain key bytes). */
  private sign(msg: Extract<DoorMessage, { t: "sign" }>): ParentMessage {
    try {
      let req: HmacRequest;
      try {
        req = JSON.parse(msg.payload) as HmacRequest;
      } catch {
        throw new RuntimeError("ToolError", "malformed HMAC request");
      }
      return { t: "signed", sid: msg.sid, ok: true, payload: signHmac(req, this.calls.get(msg.id)?.secrets ?? null) };
    } catch (err) {
      return { t: "signed", sid: msg.sid, ok: false, payload: JSON.stringify(RuntimeError.from(err, "ToolError").toBody()) };
    }
  }

  private async sourceMap(rid: number, dir: string): Promise<void> {
    this.reply({ t: "source_map", rid, text: this.dirs.has(dir) ? await readSourceMap(dir) : null });
  }

  private reply(msg: ParentMessage): void {
    if (!this.closed) this.send(msg);
  }

  close(): void {
    this.closed = true;
    this.relay.close();
    this.calls.clear();
  }
}
