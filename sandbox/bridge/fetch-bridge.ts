// The host side of the isolate's fetch, carried out in the host process (the sandbox
// children have no network; sandbox/fetch-relay.ts brings their requests here): one
// guarded agent for the pool, one origin policy per package (its manifest plus the
// operator's overrides), and the per-call request cap. Everything else (SSRF,
// redirects, byte caps) is guardedFetch. `outgoing` is the one place a plugin's request
// is finalised before anything connects.
import type { Dispatcher } from "undici";
import { RuntimeError } from "../errors.ts";
import type { FetchOptions } from "../options.ts";
import { createGuardedAgent } from "./guarded-agent.ts";
import { guardedFetch, type GuardedRequest, type GuardedResponse } from "./guarded-fetch.ts";
import { OriginPolicy } from "./origin-policy.ts";

/** What the isolate hands over (sandbox/runtime/fetch.ts). Bytes travel as latin1 text. */
export interface BridgedRequest {
  url: string;
  method: string;
  headers: [string, string][];
  body: string | null;
  redirect: "follow" | "manual" | "error";
}

/** Whose fetch it is, as the host knows it (never as the sandbox process says). */
export interface FetchContext {
  /** The origins the call's package may reach (its manifest's `permissions.fetch`). */
  origins: readonly string[];
  /** The call's tenant, package and version; absent for a bundle's top-level code at load. */
  call?: { tenant: string; pkg: string; version: string };
}

export class FetchBridge {
  private readonly dispatcher: Dispatcher;
  private readonly policies = new Map<string, OriginPolicy>();

  constructor(private readonly options: FetchOptions) {
    this.dispatcher = createGuardedAgent({
      allow_private_network: options.allow_private_network,
      allow_private_origins: options.allow_private_origins,
    });
  }

  policyFor(origins: readonly string[]): OriginPolicy {
    const key = origins.join("\n");
    let policy = this.policies.get(key);
    if (!policy) {
      policy = OriginPolicy.forPackage(origins, this.options);
      this.policies.set(key, policy);
    }
    return policy;
  }

  /** Checks the per-call request cap, then fetches under the package's policy. */
  async fetch(payload: string, context: FetchContext, requestsSoFar: number, signal: AbortSignal): Promise<GuardedResponse> {
    if (requestsSoFar >= this.options.max_requests) {
      throw new RuntimeError("FetchDenied", `more than ${this.options.max_requests} fetches in one call`, { data: { rule: "requests" } });
    }
    let req: BridgedRequest;
    try {
      req = JSON.parse(payload) as BridgedRequest;
    } catch {
      throw new RuntimeError("FetchDenied", "malformed fetch request");
    }
    return guardedFetch(this.outgoing(req, context, signal), this.policyFor(context.origins), { dispatcher: this.dispatcher, ...this.options });
  }

  /**
   * The request as it will be sent, made from what the isolate handed over. Whatever
   * must change or be counted on every outgoing plugin request (before the origin and
   * address policies judge it and anything connects) belongs here and nowhere else.
   */
  private outgoing(req: BridgedRequest, _context: FetchContext, signal: AbortSignal): GuardedRequest {
    return {
      url: String(req.url),
      method: String(req.method),
      headers: Array.isArray(req.headers) ? req.headers.map(([k, v]) => [String(k), String(v)] as [string, string]) : [],
      body: typeof req.body === "string" ? Buffer.from(req.body, "latin1") : null,
      redirect: req.redirect === "manual" || req.redirect === "error" ? req.redirect : "follow",
      signal,
    };
  }

  async close(): Promise<void> {
    await this.dispatcher.close().catch(() => undefined);
  }
}
