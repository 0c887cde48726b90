// The network door of the sandbox bridge: origin policy, address policy, the guarded
// HTTP client that applies both (SPEC §4, §9.6), and the secrets a call's requests
// may carry (placeholders, their substitution and scrubbing, HMAC with them).
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
export { checkSecretFields, mapSecretValues, secretFieldsOf, PLACEHOLDER_MIN_LENGTH } from "./secret-fields.ts";
export type { SecretField, SecretReplacer } from "./secret-fields.ts";
export { CallSecrets, PLACEHOLDER_PREFIX } from "./secret-placeholders.ts";
export type { OutgoingRequest, SecretPair } from "./secret-placeholders.ts";
export { signHmac } from "./hmac-signer.ts";
export type { HmacRequest } from "./hmac-signer.ts";
