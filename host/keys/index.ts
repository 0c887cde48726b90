// Deployment keys (artifact key, secrets key): loaded from config, a key file, or generated on first start.
export { loadDeploymentKey, parseKey, type DeploymentKey, type KeySource, type KeySpec } from "./deployment-key.ts";
