// Bearer-token authentication: the token registry and what each role may do.
export { ROLES, isRole, roleAllows, type Role } from "./roles.ts";
export {
  TENANT_PATTERN,
  TOKEN_PREFIX,
  TokenRegistry,
  hashToken,
  mintToken,
  type AuthOptions,
  type Principal,
  type TokenEntry,
} from "./token-registry.ts";
