// The config loader: embedded defaults, the repo's config.yaml, HIAGENT_* overrides,
// HiAgent aliases (including the guide's own config), and one-line errors.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigError, loadConfig, type LoadedConfig } from "../../../host/config/index.ts";

const REPO_ROOT = path.resolve(import.meta.dirname, "../../..");

/** The config example of the HiAgent plugin runtime guide, verbatim. */
const HIAGENT_GUIDE_CONFIG = `version: 0.1.0
max_subprocess: 10
log_level: DEBUG

# Redis配置
redis:
  cluster_type: "single"
  host: "localhost"
  port: 6379

# 存储配置
storage:
  backend: "local_path"  # 或 "minio"
  local_path:
    base_dir: /tmp/hiagent_storage
  
# 插件包配置  
package:
  index_url: "https://pypi.org/simple"
`;

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "config-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function load(yaml: string | null, env: Record<string, string> = {}): Promise<LoadedConfig> {
  if (yaml !== null) await writeFile(path.join(dir, "config.yaml"), yaml);
  return loadConfig({ env, cwd: dir });
}

async function errorOf(yaml: string | null, env: Record<string, string> = {}): Promise<string> {
  try {
    await load(yaml, env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    const message = (err as Error).message;
    expect(message).not.toContain("\n");
    return message;
  }
  throw new Error("expected a ConfigError");
}

describe("defaults", () => {
  it("runs on the embedded defaults without any file", async () => {
    const { config, file, warnings } = await load(null);
    expect(file).toBeNull();
    expect(warnings).toEqual([]);
    expect(config.server).toEqual({ host: "127.0.0.1", port: 8000, max_body_bytes: 10485760 });
    expect(config.log_level).toBe("info");
    expect(config.redis).toBeUndefined();
    expect(config.auth).toBeUndefined();
    expect(config.sandbox.processes).toBe(2);
    expect(config.sandbox.max_isolates).toBe(10);
    expect(config.sandbox.fetch.timeout_ms).toBe(15000);
    expect(config.storage).toEqual({ backend: "local_path", local_path: { base_dir: path.join(dir, "data/storage") } });
    expect(config.package).toEqual({ max_package_bytes: 52428800, download_timeout_ms: 120000, bundle_timeout_ms: 60000, bundler_max_memory_mb: 1024, max_concurrent_builds: 2, tenant_max_builds: 2, staging_max_bytes: 1073741824, file_roots: [dir], generated_key_file: path.join(dir, "data", "artifact.key") });
    expect(config.extensions_dir).toBe(path.join(dir, "extensions"));
    expect(config.jobs.concurrency).toBeGreaterThanOrEqual(1);
    expect(config.secrets).toEqual({ generated_key_file: path.join(dir, "data/secrets.key") });
    expect(config.plugin_configs).toEqual({ file_path: path.join(dir, "data/plugin-configs.json") });
  });

  it("secrets.key_file and plugin_configs.file_path resolve against the working directory", async () => {
    const { config } = await load("secrets: { key_file: keys/secrets.key }\nplugin_configs: { file_path: state/configs.json }\n");
    expect(config.secrets.key_file).toBe(path.join(dir, "keys/secrets.key"));
    expect(config.plugin_configs.file_path).toBe(path.join(dir, "state/configs.json"));
  });

  it("the repo's config.yaml holds exactly the embedded defaults", () => {
    const fromFile = loadConfig({ env: {}, cwd: REPO_ROOT });
    expect(fromFile.file).toBe(path.join(REPO_ROOT, "config.yaml"));
    const empty = loadConfig({ env: { CONFIG: "/dev/null" }, cwd: REPO_ROOT });
    expect(fromFile.config).toEqual(empty.config);
  });

  it("reads the file CONFIG names, relative to the working directory", async () => {
    await writeFile(path.join(dir, "other.yaml"), "server: { port: 9100 }\n");
    const { config, file } = loadConfig({ env: { CONFIG: "other.yaml" }, cwd: dir });
    expect(file).toBe(path.join(dir, "other.yaml"));
    expect(config.server.port).toBe(9100);
  });

  it("refuses a CONFIG that does not exist", async () => {
    expect(await errorOf(null, { CONFIG: "missing.yaml" })).toBe("Config file not found: missing.yaml (from CONFIG)");
  });
});

describe("environment overrides", () => {
  it("sets nested keys, with values read as YAML", async () => {
    const { config } = await load("server: { port: 8000 }\n", {
      HIAGENT_SERVER__PORT: "9000",
      HIAGENT_SERVER__HOST: "0.0.0.0",
      HIAGENT_LOG_LEVEL: "warn",
      HIAGENT_SANDBOX__FETCH__TIMEOUT_MS: "5000",
      HIAGENT_SANDBOX__FETCH__ALLOW_PRIVATE_NETWORK: "true",
      HIAGENT_PACKAGE__FILE_ROOTS: "[., /srv/packages]",
      PATH: "/usr/bin",
      PORT: "1234",
    });
    expect(config.server.port).toBe(9000);
    expect(config.server.host).toBe("0.0.0.0");
    expect(config.log_level).toBe("warn");
    expect(config.sandbox.fetch.timeout_ms).toBe(5000);
    expect(config.sandbox.fetch.allow_private_network).toBe(true);
    expect(config.package.file_roots).toEqual([dir, "/srv/packages"]);
  });

  it("reads the issue's tenants section: quotas per tenant, default for the rest", async () => {
    const { config } = await load(
      "tenants:\n" +
        "  default: { quotas: { calls: { limit: 600, window: 1m }, cpu_ms: { limit: 3600000, window: 1d } } }\n" +
        "  acme:    { quotas: { calls: { limit: 5, window: 1m }, egress_bytes: { limit: 1e9, window: 1d }, concurrent: 4 } }\n",
    );
    expect(config.tenants.acme?.quotas).toEqual({
      calls: { limit: 5, window: { text: "1m", ms: 60_000 } },
      egress_bytes: { limit: 1e9, window: { text: "1d", ms: 86_400_000 } },
      concurrent: 4,
    });
    expect(config.tenants.default?.quotas.cpu_ms).toEqual({ limit: 3_600_000, window: { text: "1d", ms: 86_400_000 } });
  });

  it("can add a section the file does not have", async () => {
    const { config } = await load(null, { HIAGENT_REDIS__HOST: "redis.internal", HIAGENT_REDIS__PASSWORD: '"0123"' });
    expect(config.redis).toMatchObject({ host: "redis.internal", port: 6379, password: "0123" });
  });

  it("names the variable when its value is wrong", async () => {
    expect(await errorOf(null, { HIAGENT_SERVER__PORT: "eighty" })).toBe(
      "Config error: server.port (from HIAGENT_SERVER__PORT): expected number, received string",
    );
    expect(await errorOf(null, { HIAGENT_SERVER__PROT: "80" })).toBe(
      "Config error: server.prot (from HIAGENT_SERVER__PROT): unknown key",
    );
    expect(await errorOf(null, { HIAGENT_SERVER____PORT: "80" })).toMatch(/HIAGENT_SERVER____PORT: an empty key level/);
  });
});

describe("HiAgent configs", () => {
  it("parses the guide's own config", async () => {
    const { config, warnings } = await load(HIAGENT_GUIDE_CONFIG);
    expect(config.log_level).toBe("debug");
    expect(config.sandbox.max_isolates).toBe(10);
    expect(config.redis).toMatchObject({ cluster_type: "single", host: "localhost", port: 6379 });
    expect(config.storage).toEqual({ backend: "local_path", local_path: { base_dir: "/tmp/hiagent_storage" } });
    expect(config.package.index_url).toBeUndefined();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/index_url https:\/\/pypi.org\/simple is not an npm registry; ignored/);
  });

  it("reads log_level in any case, including Python's names", async () => {
    expect((await load("log_level: WARNING\n")).config.log_level).toBe("warn");
    expect((await load("log_level: Error\n")).config.log_level).toBe("error");
    expect((await load("log_level: CRITICAL\n")).config.log_level).toBe("fatal");
  });

  it("reads max_subprocess as sandbox.max_isolates, and names it in errors", async () => {
    expect((await load("max_subprocess: 4\n")).config.sandbox.max_isolates).toBe(4);
    expect(await errorOf("max_subprocess: 0\n")).toBe("Config error in config.yaml: max_subprocess: Too small: expected number to be >=1");
    const both = await load("max_subprocess: 4\nsandbox: { max_isolates: 6 }\n");
    expect(both.config.sandbox.max_isolates).toBe(6);
    expect(both.warnings).toEqual(["max_subprocess is ignored: sandbox.max_isolates is set"]);
  });

  it("reads storage.backend minio / boto3 as s3, with HiAgent's s3 key names", async () => {
    const yaml = `storage:
  backend: minio
  local_path: { base_dir: /ignored }
  s3: { endpoint: "http://minio:9000", bucket: plugins, ak: AK, sk: SK, path_style: true, ssl_verify: false, public_endpoint: "https://files.example.com" }
`;
    const { config } = await load(yaml);
    expect(config.storage).toEqual({
      backend: "s3",
      s3: {
        endpoint: "http://minio:9000",
        region: "us-east-1",
        bucket: "plugins",
        access_key_id: "AK",
        secret_access_key: "SK",
        force_path_style: true,
        verify_tls: false,
        public_endpoint: "https://files.example.com",
      },
    });
    const boto = await load("storage: { backend: boto3, boto3: { bucket: b, ak: A } }\n");
    expect(boto.config.storage).toMatchObject({ backend: "s3", s3: { bucket: "b", access_key_id: "A" } });
  });

  it("ignores the sections the storage backend does not select", async () => {
    const { config } = await load("storage: { backend: local_path, s3: { nonsense: 1 }, minio: { ak: 2 } }\n");
    expect(config.storage).toEqual({ backend: "local_path", local_path: { base_dir: path.join(dir, "data/storage") } });
  });

  it("keeps an npm registry index_url", async () => {
    const { config, warnings } = await load("package: { index_url: 'https://registry.npmjs.org/' }\n");
    expect(config.package.index_url).toBe("https://registry.npmjs.org/");
    expect(warnings).toEqual([]);
  });

  it("treats an empty section as absent", async () => {
    const { config } = await load("redis:\nauth:\nserver:\n");
    expect(config.redis).toBeUndefined();
    expect(config.auth).toBeUndefined();
    expect(config.server.port).toBe(8000);
  });
});

describe("bad files", () => {
  it("names the key path and what is wrong, on one line", async () => {
    expect(await errorOf("server:\n  port: 99999\n")).toBe("Config error in config.yaml: server.port: Too big: expected number to be <=65535");
    expect(await errorOf("sandbox:\n  fetch:\n    timeout_ms: soon\n")).toBe(
      "Config error in config.yaml: sandbox.fetch.timeout_ms: expected number, received string",
    );
    expect(await errorOf("servr: {}\n")).toBe("Config error in config.yaml: servr: unknown key");
    expect(await errorOf("log_level: loud\n")).toMatch(/^Config error in config.yaml: log_level: Invalid option: expected one of /);
    expect(await errorOf("storage: { backend: ftp }\n")).toMatch(/^Config error in config.yaml: storage.backend: must be "local_path" or "s3"/);
    expect(await errorOf("storage: { backend: minio, minio: { ak: A } }\n")).toBe(
      "Config error in config.yaml: storage.minio.bucket: missing (expected string)",
    );
    expect(await errorOf("auth: { tokens: [{ token_sha256: abc, tenant: t, role: admin }] }\n")).toBe(
      "Config error in config.yaml: auth.tokens.0.token_sha256: must be 64 hex digits (the SHA-256 of the token)",
    );
  });

  it("refuses a quota window that is not a duration, and a quota it does not know, naming the key", async () => {
    expect(await errorOf("tenants:\n  acme: { quotas: { calls: { limit: 5, window: 5 minutes } } }\n")).toBe(
      "Config error in config.yaml: tenants.acme.quotas.calls.window: must be a duration such as 30s, 1m, 1h or 1d (a whole number and one of ms, s, m, h, d)",
    );
    expect(await errorOf("tenants:\n  default: { quotas: { cpu_ms: { limit: 10, window: 90 } } }\n")).toMatch(/^Config error in config.yaml: tenants.default.quotas.cpu_ms.window: must be a duration/);
    expect(await errorOf("tenants:\n  acme: { quotas: { callz: { limit: 5, window: 1m } } }\n")).toBe("Config error in config.yaml: tenants.acme.quotas.callz: unknown key");
    expect(await errorOf("tenants:\n  acme: { quotas: { concurrent: 0 } }\n")).toMatch(/^Config error in config.yaml: tenants.acme.quotas.concurrent: /);
  });

  it("lists several problems on the same line", async () => {
    expect(await errorOf("server: { port: x, host: 1 }\n")).toBe(
      "Config error in config.yaml: server.host: expected string, received number; server.port: expected number, received string",
    );
  });

  it("reports YAML syntax errors with their position", async () => {
    expect(await errorOf("server:\n  port: 80\n  port: 81\n")).toMatch(/^Config error in config.yaml: Map keys must be unique at line 3, column 3$/);
    expect(await errorOf("server: [\n")).toMatch(/^Config error in config.yaml: .+ at line \d+, column \d+$/);
    expect(await errorOf("- a\n- b\n")).toBe("Config error in config.yaml: the top level must be a mapping of keys");
  });
});
