// The `require` that plugin bundles see: the bundler leaves `hiagent-plugin-sdk` and
// `zod` external, and they resolve here to the copies evaluated once per isolate.
import * as sdk from "../../sdk/src/index.ts";
import * as zod from "zod";

const registry: Record<string, unknown> = {
  "hiagent-plugin-sdk": sdk,
  zod,
  "zod/v4": zod,
};

export function sandboxRequire(name: string): unknown {
  if (Object.hasOwn(registry, name)) return registry[name];
  throw new Error(`Cannot find module '${String(name)}': only hiagent-plugin-sdk and zod are provided by the sandbox; bundle other dependencies into the package`);
}

export { sdk };
