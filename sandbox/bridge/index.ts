// The network door of the sandbox bridge: origin policy, address policy, and the
// guarded HTTP client that applies both (SPEC §4, §9.6).
export { classifyAddress, findNonPublicAddress, isPublicAddress, parseHostAsIp } from "./address-policy.ts";
export type { AddressClassification, IpFamily, ParsedIp } from "./address-policy.ts";
export { OriginPolicy, describeOrigin, originMatches, parseOriginPattern, parseOriginPatterns } from "./origin-policy.ts";
export type { OriginDecision, OriginPattern } from "./origin-policy.ts";
export { createGuardedAgent, createGuardedConnector } from "./guarded-agent.ts";
export type { GuardedAgentOptions, HostResolver, ResolvedAddress } from "./guarded-agent.ts";
export { downloadToBuffer, guardedFetch } from "./guarded-fetch.ts";
export type {
  DownloadOptions,
  FetchLimits,
  FetchRule,
  GuardedBody,
  GuardedFetchOptions,
  GuardedRequest,
  GuardedResponse,
  HeaderList,
} from "./guarded-fetch.ts";
