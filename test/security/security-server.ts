// A running server for the attack suite: the real runtime (HTTP, package manager, job
// queue, sandbox processes) on a loopback port, with bearer tokens for an operator
// and two tenants, small sandbox limits, and what the cases need to judge the
// aftermath: a clean calculator call, the sandbox processes' health, the server's
// memory, and what is left in `extensions/`.
import { mkdir, readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { expect } from "vitest";
import { mintToken } from "../../host/auth/index.ts";
import { startTestRuntime, type TestRuntime } from "../host/http/runtime-fixture.ts";
import type { Envelope } from "../e2e/api-test-client.ts";
import { until } from "../e2e/api-test-client.ts";
import { FIXTURES_DIR, zipFolder } from "../host/package/zip-fixtures.ts";

export type Caller = "admin" | "a" | "b";

/** The tenant each caller's token belongs to. */
export const TENANT_OF: Record<Caller, string> = { admin: "operator", a: "tenant-a", b: "tenant-b" };

/** The limits every attack file runs under (SPEC §9: small, so the cases are quick). */
export const SECURITY_LIMITS = {
  HIAGENT_SANDBOX__TIMEOUT_MS: "1500",
  HIAGENT_SANDBOX__MEMORY_LIMIT_MB: "64",
  HIAGENT_SANDBOX__PROCESSES: "2",
} as const;

export interface ApiAnswer<T = unknown> {
  status: number;
  body: Envelope<T>;
  headers: Headers;
}

export interface HealthAnswer {
  status: string;
  components: Record<string, { state: string; processes?: { pid: number | null; state: string; restarts: number }[] }>;
}

export interface SecurityServer {
  rt: TestRuntime;
  tokens: Record<Caller, string>;
  /** The raw response of `POST /v1/<operation>` as `as`. */
  post(as: Caller, operation: string, body: object | string, init?: RequestInit): Promise<Response>;
  call<T = unknown>(as: Caller, operation: string, body: object | string, init?: RequestInit): Promise<ApiAnswer<T>>;
  /** Writes `zip` under the server's file root and installs it as the operator. */
  install<T = unknown>(zip: Buffer, file: string): Promise<ApiAnswer<T>>;
  /** Installs the fixture calculator once; later calls check it still answers 2 + 3. */
  calculatorWorks(as?: Caller): Promise<void>;
  health(): Promise<HealthAnswer>;
  /** Waits until every sandbox process is up (a killed one is restarted by its supervisor). */
  sandboxUp(timeoutMs?: number): Promise<HealthAnswer>;
  /** Every path under `extensions/`, dot-folders included. */
  extensionsTree(): Promise<string[]>;
  /** The server's resident memory now (it runs in this process). */
  rss(): number;
  close(): Promise<void>;
}

export async function startSecurityServer(env: Record<string, string> = {}, options: { captureLogs?: boolean } = {}): Promise<SecurityServer> {
  const minted = { admin: mintToken(), a: mintToken(), b: mintToken() };
  const entries = (Object.keys(minted) as Caller[]).map((caller) => ({
    token_sha256: minted[caller].sha256,
    tenant: TENANT_OF[caller],
    role: caller === "admin" ? "admin" : "invoke",
  }));
  const rt = await startTestRuntime(
    { ...SECURITY_LIMITS, HIAGENT_AUTH__TOKENS: JSON.stringify(entries), ...env },
    { captureLogs: options.captureLogs ?? false },
  );
  const tokens: Record<Caller, string> = { admin: minted.admin.token, a: minted.a.token, b: minted.b.token };
  let calculatorInstalled = false;

  const post = (as: Caller, operation: string, body: object | string, init: RequestInit = {}): Promise<Response> =>
    rt.post(operation, body, { ...init, headers: { ...(init.headers as Record<string, string> | undefined), authorization: `Bearer ${tokens[as]}` } });
  const call = async <T>(as: Caller, operation: string, body: object | string, init?: RequestInit): Promise<ApiAnswer<T>> => {
    const res = await post(as, operation, body, init);
    return { status: res.status, body: (await res.json()) as Envelope<T>, headers: res.headers };
  };
  const install = async <T>(zip: Buffer, file: string): Promise<ApiAnswer<T>> => {
    const full = path.join(rt.dir, "pkgs", file);
    await mkdir(path.dirname(full), { recursive: true });
    await writeFile(full, zip);
    return call<T>("admin", "InstallPackage", { uri: `file://${full}`, filename: file, force: true });
  };
  const health = async (): Promise<HealthAnswer> => {
    const res = await fetch(`${rt.url}/v1/health`, { headers: { authorization: `Bearer ${tokens.admin}` } });
    return ((await res.json()) as Envelope<HealthAnswer>).data;
  };

  return {
    rt,
    tokens,
    post,
    call,
    install,
    health,
    async calculatorWorks(as: Caller = "a") {
      if (!calculatorInstalled) {
        const installed = await install(await zipFolder(path.join(FIXTURES_DIR, "calculator")), "calculator-1.0.0.zip");
        expect(installed.status).toBe(200);
        calculatorInstalled = true;
      }
      const res = await call(as, "RunPluginTool", { pkg: "calculator", version: "1.0.0", plugin: "Calculator", tool: "add", input: { a: 2, b: 3 } });
      expect(res.body).toEqual({ data: 5, error: null });
    },
    async sandboxUp(timeoutMs = 15_000) {
      let last: HealthAnswer | undefined;
      await until(async () => {
        last = await health();
        return last.components.sandbox?.state === "ok";
      }, "every sandbox process to be up", timeoutMs);
      return last as HealthAnswer;
    },
    async extensionsTree() {
      try {
        return (await readdir(path.join(rt.dir, "extensions"), { recursive: true })).sort();
      } catch {
        return [];
      }
    },
    rss: () => process.memoryUsage().rss,
    close: () => rt.close(),
  };
}

/** Headroom for the server's RSS after a file of attacks: generous, since V8 keeps freed pages. */
export const RSS_HEADROOM_BYTES = 300 * 1024 * 1024;
