// Stored per-tenant plugin configs: the service, its sealing and redaction, and the
// store interface with its file backend (the Redis one is host/jobs/redis-plugin-config-store.ts).
export { PluginConfigs, type PluginConfigView, type SetPluginConfig, type StoredConfigResolver } from "./plugin-configs.ts";
export { ConfigSealer, type Sealed, type SealOwner } from "./config-sealer.ts";
export { REDACTED, redactSecrets } from "./secret-fields.ts";
export { StoredPluginConfigSchema, type PluginConfigStore, type StoredPluginConfig } from "./plugin-config-store.ts";
export { FilePluginConfigStore } from "./file-plugin-config-store.ts";
export { SECRETS_KEY_SPEC, loadSecretsKey } from "./secrets-key.ts";
