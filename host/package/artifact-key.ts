// The deployment's artifact key (`package.artifact_key` / `package.artifact_key_file`),
// loaded once per entry point. Without either, a key is generated on first start at
// `package.generated_key_file` (fine for one node; every node and worker of a shared
// deployment must be given the same key, or each refuses what the others built).
import type { Config } from "../config/index.ts";
import { loadDeploymentKey, type KeySpec } from "../keys/index.ts";

export const ARTIFACT_KEY: KeySpec = {
  configKey: "package.artifact_key",
  fileConfigKey: "package.artifact_key_file",
  purpose: "authenticates the artifacts of built packages",
  minBytes: 32,
};

export interface ArtifactKeyLogger {
  info(obj: object, message: string): void;
  warn(obj: object, message: string): void;
}

/** Loads the key; `shared` (several nodes, or workers) warns when each would generate its own. */
export async function loadArtifactKey(config: Pick<Config, "package">, logger: ArtifactKeyLogger, shared: boolean): Promise<Buffer> {
  const loaded = await loadDeploymentKey(ARTIFACT_KEY, {
    value: config.package.artifact_key,
    file: config.package.artifact_key_file,
    generatedFile: config.package.generated_key_file,
  });
  if (loaded.origin === "generated") logger.info({ file: loaded.file }, "generated the artifact key; keep this file (a new key means every installed package must be reinstalled)");
  else if (loaded.origin === "generated-earlier") logger.info({ file: loaded.file }, "artifact key read from the file generated on first start");
  if (shared && (loaded.origin === "generated" || loaded.origin === "generated-earlier")) {
    logger.warn({ file: loaded.file }, "package.artifact_key is not set: this node uses its own generated key, and nodes or workers with another key refuse what it builds (give every one the same package.artifact_key or artifact_key_file)");
  }
  return loaded.key;
}
