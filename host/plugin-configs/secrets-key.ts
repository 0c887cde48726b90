// The deployment key that seals stored plugin configs (`secrets.key` / `secrets.key_file`),
// loaded through the one deployment-key loader; generated on first start when neither is set.
import type { SecretsConfig } from "../config/index.ts";
import { loadDeploymentKey, type DeploymentKey, type KeySpec } from "../keys/index.ts";

export const SECRETS_KEY_SPEC: KeySpec = {
  configKey: "secrets.key",
  fileConfigKey: "secrets.key_file",
  purpose: "encrypts the secret fields of stored plugin configs",
  minBytes: 32,
};

export function loadSecretsKey(secrets: SecretsConfig): Promise<DeploymentKey> {
  return loadDeploymentKey(SECRETS_KEY_SPEC, { value: secrets.key, file: secrets.key_file, generatedFile: secrets.generated_key_file });
}
