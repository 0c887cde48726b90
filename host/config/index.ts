// The config module's public face: load once at start, pass the result down.
export { loadConfig, type LoadConfigOptions, type LoadedConfig } from "./config-loader.ts";
export { ConfigError } from "./config-error.ts";
export { ConfigSchema, type Config, type JobsConfig, type LogLevel, type McpConfig, type MetricsConfig, type SecretsConfig, type ServerConfig, type StorageConfig, type WorkerConfig } from "./config-schema.ts";
