// The host side of the isolate's fetch: one guarded agent per sandbox process, one
// origin policy per package (its manifest plus the operator's overrides), the per-call
// request cap, and the call's secrets: a request is finalised here, so this is where
// placeholders become real values (only for the package's secret origins) and where
// the answer is scrubbed of them. Everything else (SSRF, redirects, byte caps) is guardedFetch.
import type { Dispatcher } from "undici";
import { RuntimeError } from "../errors.ts";
import type { FetchOptions } from "../options.ts";
import { createGuardedAgent } from "./guarded-agent.ts";
import { guardedFetch, type GuardedResponse } from "./guarded-fetch.ts";
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
  async fetch(payload: string, origins: readonly string[], requestsSoFar: number, signal: AbortSignal, secrets: CallSecrets | null = null): Promise<GuardedResponse> {
    if (requestsSoFar >= this.options.max_requests) {
      throw new RuntimeError("FetchDenied", `more than ${this.options.max_requests} fetches in one call`, { data: { rule: "requests" } });
    }
    let req: BridgedRequest;
    try {
      req = JSON.parse(payload) as BridgedRequest;
    } catch {
      throw new RuntimeError("FetchDenied", "malformed fetch request");
    }
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
    const response = guardedFetch(
      {
        url: outgoing.url,
        method: String(req.method),
        headers: outgoing.headers,
        body: outgoing.body === null ? null : Buffer.from(outgoing.body, "latin1"),
        redirect: req.redirect === "manual" || req.redirect === "error" ? req.redirect : "follow",
        signal,
      },
      policy,
      { dispatcher: this.dispatcher, ...this.options },
    );
    if (secrets === null || secrets.size === 0) return response;
    return response.then(
      (res) => secrets.scrubResponse(res),
      (err: unknown) => {
        throw secrets.scrubError(err);
      },
    );
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
