// The host side of the isolate's fetch, carried out in the host process (the sandbox
// children have no network; sandbox/fetch-relay.ts brings their requests here): one
// guarded agent for the pool, one origin policy per package (its manifest plus the
// operator's overrides), the per-call request cap, and the call's secrets. `outgoing`
// is the one place a plugin's request is finalised before anything connects: that is
// where placeholders become real values (only for the package's secret origins), and
// the answer is scrubbed of them. Everything else (SSRF, redirects, byte caps) is guardedFetch.
import type { Dispatcher } from "undici";
import { RuntimeError } from "../errors.ts";
import type { FetchOptions } from "../options.ts";
import { createGuardedAgent } from "./guarded-agent.ts";
import { guardedFetch, type GuardedRequest, type GuardedResponse } from "./guarded-fetch.ts";
import { OriginPolicy } from "./origin-policy.ts";
import type { CallSecrets } from "./secret-placeholders.ts";

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
  /** The real values behind the call's placeholders (absent or null: none). */
  secrets?: CallSecrets | null;
}

export class FetchBridge {
  private readonly dispatcher: Dispatcher;
  private readonly policies = new Map<string, OriginPolicy>();
  private readonly secretPolicies = new Map<string, OriginPolicy>();

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

  /**
   * Where a call's secrets may go: the manifest's origins plus the operator's
   * `secret_origins`, minus `deny_origins`; never the other `extra_origins`. A request
   * carrying a secret is held to it on every redirect hop too.
   */
  secretPolicyFor(origins: readonly string[]): OriginPolicy {
    const key = origins.join("\n");
    let policy = this.secretPolicies.get(key);
    if (!policy) {
      policy = OriginPolicy.forPackage(origins, { extra_origins: this.options.secret_origins, deny_origins: this.options.deny_origins });
      this.secretPolicies.set(key, policy);
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
    const { request, policy } = this.outgoing(req, context, signal);
    const response = guardedFetch(request, policy, { dispatcher: this.dispatcher, ...this.options });
    const secrets = context.secrets ?? null;
    if (secrets === null || secrets.size === 0) return response;
    return response.then(
      (res) => secrets.scrubResponse(res),
      (err: unknown) => {
        throw secrets.scrubError(err);
      },
    );
  }

  /**
   * The request as it will be sent, made from what the isolate handed over, and the
   * policy it is held to. Whatever must change or be counted on every outgoing plugin
   * request (before the origin and address policies judge it and anything connects)
   * belongs here and nowhere else.
   */
  private outgoing(req: BridgedRequest, context: FetchContext, signal: AbortSignal): { request: GuardedRequest; policy: OriginPolicy } {
    const { origins } = context;
    const secrets = context.secrets ?? null;
    let outgoing = {
      url: String(req.url),
      headers: Array.isArray(req.headers) ? req.headers.map(([k, v]) => [String(k), String(v)] as [string, string]) : [],
      body: typeof req.body === "string" ? req.body : null,
    };
    let policy = this.policyFor(origins);
    if (secrets !== null && secrets.size > 0 && secrets.appearsIn(outgoing) && this.isSecretOrigin(outgoing.url, origins)) {
      outgoing = secrets.substitute(outgoing);
      policy = this.secretPolicyFor(origins);
    }
    return {
      request: {
        url: outgoing.url,
        method: String(req.method),
        headers: outgoing.headers,
        body: outgoing.body === null ? null : Buffer.from(outgoing.body, "latin1"),
        redirect: req.redirect === "manual" || req.redirect === "error" ? req.redirect : "follow",
        signal,
      },
      policy,
    };
  }

  private isSecretOrigin(url: string, origins: readonly string[]): boolean {
    try {
      return this.secretPolicyFor(origins).check(new URL(url)).allowed;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await this.dispatcher.close().catch(() => undefined);
  }
}
