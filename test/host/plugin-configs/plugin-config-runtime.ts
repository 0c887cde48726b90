// A running runtime for the stored-config tests: real HTTP, sandbox and package
// manager, bearer tokens for an operator and two tenants, and the `keyed` fixture
// installed. `file` keeps configs in the local file (embedded queue); `redis` keeps
// them in Redis under a prefix unique to the run, with an in-process install worker.
// First: the API's schemas extend zod with .openapi, which must happen before the
// worker's modules build their schemas.
import { startTestRuntime, type TestRuntime } from "../http/runtime-fixture.ts";
import { randomBytes } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { expect } from "vitest";
import { mintToken } from "../../../host/auth/index.ts";
import { createLogger } from "../../../host/logging/logger.ts";
import { startWorker, type WorkerRuntime } from "../../../host/worker/worker-runtime.ts";
import type { Envelope } from "../../e2e/api-test-client.ts";
import { deleteKeys, TEST_REDIS_PORT, uniquePrefix } from "../jobs/redis-test-env.ts";
import { FIXTURES_DIR, zipFolder } from "../package/zip-fixtures.ts";

export type Backend = "file" | "redis";
export type Caller = "admin" | "a" | "b";
export const TENANT_OF: Record<Caller, string> = { admin: "operator", a: "tenant-a", b: "tenant-b" };

export interface ConfigRuntime {
  rt: TestRuntime;
  backend: Backend;
  /** The Redis key prefix (redis backend). */
  prefix: string;
  call<T = unknown>(as: Caller, operation: string, body: object, headers?: Record<string, string>): Promise<{ status: number; body: Envelope<T> }>;
  /** The raw response of `POST /v1/<operation, query included>` as `as`. */
  post(as: Caller, operation: string, body: object, headers?: Record<string, string>): Promise<Response>;
  /** The env that points another runtime at the same packages and stored configs. */
  sharedEnv: Record<string, string>;
  close(): Promise<void>;
}

export const KEYED = { pkg: "keyed", version: "1.0.0", plugin: "Keyed" } as const;

export async function startConfigRuntime(backend: Backend, options: { env?: Record<string, string>; install?: boolean; prefix?: string } = {}): Promise<ConfigRuntime> {
  const minted = { admin: mintToken(), a: mintToken(), b: mintToken() };
  const entries = (Object.keys(minted) as Caller[]).map((c) => ({ token_sha256: minted[c].sha256, tenant: TENANT_OF[c], role: c === "admin" ? "admin" : "invoke" }));
  const prefix = options.prefix ?? uniquePrefix("plugin-configs-api");
  const redisEnv: Record<string, string> =
    backend === "redis" ? { HIAGENT_REDIS__HOST: "127.0.0.1", HIAGENT_REDIS__PORT: String(TEST_REDIS_PORT), HIAGENT_REDIS__PREFIX: prefix } : {};
  const rt = await startTestRuntime({ HIAGENT_AUTH__TOKENS: JSON.stringify(entries), ...redisEnv, ...options.env }, { captureLogs: true });
  let worker: WorkerRuntime | undefined;
  if (backend === "redis") worker = await startWorker(rt.runtime.config, createLogger({ level: "silent" }));
  const post = (as: Caller, operation: string, body: object, headers: Record<string, string> = {}): Promise<Response> =>
    rt.post(operation, body, { headers: { ...headers, authorization: `Bearer ${minted[as].token}` } });
  const call = async <T>(as: Caller, operation: string, body: object, headers: Record<string, string> = {}) => {
    const res = await post(as, operation, body, headers);
    return { status: res.status, body: (await res.json()) as Envelope<T> };
  };
  if (options.install !== false) {
    const file = path.join(rt.dir, "pkgs", "keyed-1.0.0.zip");
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, await zipFolder(path.join(FIXTURES_DIR, "keyed")));
    const installed = await call("admin", "InstallPackage", { uri: `file://${file}`, filename: "keyed-1.0.0.zip" });
    expect(installed.body.error).toBeNull();
  }
  const config = rt.runtime.config;
  const sharedEnv: Record<string, string> = {
    HIAGENT_EXTENSIONS_DIR: backend === "file" ? config.extensions_dir : path.join(rt.dir, "other-extensions"),
    HIAGENT_PLUGIN_CONFIGS__FILE_PATH: config.plugin_configs.file_path,
    // The same artifact key, so a second runtime loads what the first installed.
    HIAGENT_PACKAGE__ARTIFACT_KEY_FILE: config.package.generated_key_file,
    ...(config.storage.backend === "local_path" ? { HIAGENT_STORAGE__LOCAL_PATH__BASE_DIR: config.storage.local_path.base_dir } : {}),
  };
  return {
    rt,
    backend,
    prefix,
    call,
    post,
    sharedEnv,
    async close() {
      await worker?.close();
      await rt.close();
      if (backend === "redis" && options.prefix === undefined) await deleteKeys(prefix);
    },
  };
}

export const newSecretsKey = (): string => randomBytes(32).toString("hex");
