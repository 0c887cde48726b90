// A stored config as its answers show it: every field the plugin's config schema marks
// secret (SPEC §5: `"x-hiagent-secret": true`) replaced by `[redacted]`, whatever its
// type. Which fields are secret is the sandbox's one walk over a config by its schema.
import { mapSecretValues } from "../../sandbox/bridge/index.ts";

export const REDACTED = "[redacted]";

/** A copy of `cfg` with every field its schema marks secret replaced by `REDACTED`. */
export function redactSecrets(cfg: Record<string, unknown>, configSchema: unknown): Record<string, unknown> {
  if (configSchema === null || typeof configSchema !== "object" || Array.isArray(configSchema)) return { ...cfg };
  return mapSecretValues(cfg, configSchema, () => REDACTED) as Record<string, unknown>;
}
