import { describe, expect, it } from "vitest";
import { RuntimeError } from "../../../sandbox/errors.ts";
import { OriginPolicy, parseOriginPattern } from "../../../sandbox/bridge/index.ts";

const noOperator = { extra_origins: [], deny_origins: [] };

function allowed(policy: OriginPolicy, url: string): boolean {
  return policy.check(new URL(url)).allowed;
}

function reason(policy: OriginPolicy, url: string): string {
  const decision = policy.check(new URL(url));
  if (decision.allowed) throw new Error(`${url} was allowed`);
  return decision.reason;
}

describe("parseOriginPattern", () => {
  it("normalises scheme, host and default ports", () => {
    expect(parseOriginPattern("HTTPS://API.Example.COM")).toMatchObject({ protocol: "https:", host: "api.example.com", port: 443, wildcard: false });
    expect(parseOriginPattern("http://example.com/")).toMatchObject({ port: 80 });
    expect(parseOriginPattern("http://127.0.0.1:4010")).toMatchObject({ host: "127.0.0.1", port: 4010 });
    expect(parseOriginPattern("http://[::1]:8080")).toMatchObject({ host: "[::1]", port: 8080 });
    expect(parseOriginPattern("https://*.feishu.cn")).toMatchObject({ host: "feishu.cn", wildcard: true, port: 443 });
    expect(parseOriginPattern("https://example.com.")).toMatchObject({ host: "example.com" });
  });

  it.each([
    ["ftp://example.com", "only http and https"],
    ["file:///etc/passwd", "only http and https"],
    ["data:text/plain,hi", "only http and https"],
    ["example.com", "expected scheme://host"],
    ["https://example.com/path", "no path"],
    ["https://example.com?x=1", "no path"],
    ["https://example.com#top", "no path"],
    ["https://user:pass@example.com", "credentials"],
    ["https://api.*.example.com", "wildcard"],
    ["https://*", "wildcard"],
    ["https://*.com", "wildcard"],
    ["https://*.10.0.0.1", "URL"],
    ["https://*.[::1]", "URL"],
    ["https://example.com:99999", "URL"],
    ["https://example.com:0", "port 0"],
    [" https://example.com", "plain origin"],
    ["", "plain origin"],
  ])("rejects %j as InvalidPackage naming the entry", (entry, why) => {
    let error: unknown;
    try {
      parseOriginPattern(entry);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(RuntimeError);
    expect((error as RuntimeError).code).toBe("InvalidPackage");
    expect((error as RuntimeError).message).toContain(`"${entry}"`);
    expect((error as RuntimeError).message).toContain(why);
  });

  it("reports operator entries as InvalidConfig", () => {
    expect(() => OriginPolicy.forPackage([], { extra_origins: ["ftp://x.example"], deny_origins: [] })).toThrow(
      expect.objectContaining({ code: "InvalidConfig" }),
    );
  });
});

describe("OriginPolicy.check", () => {
  const policy = OriginPolicy.forPackage(
    ["https://api.bing.microsoft.com", "https://*.feishu.cn", "http://127.0.0.1:4010", "http://[::1]:4011"],
    noOperator,
  );

  it("allows listed origins, with default ports written or not", () => {
    expect(allowed(policy, "https://api.bing.microsoft.com/v7.0/search?q=x")).toBe(true);
    expect(allowed(policy, "https://api.bing.microsoft.com:443/")).toBe(true);
    expect(allowed(policy, "HTTPS://API.BING.MICROSOFT.COM/")).toBe(true);
    expect(allowed(policy, "https://api.bing.microsoft.com./")).toBe(true);
    expect(allowed(policy, "http://127.0.0.1:4010/x")).toBe(true);
    expect(allowed(policy, "http://[::1]:4011/")).toBe(true);
  });

  it("matches scheme, host and port exactly", () => {
    expect(allowed(policy, "http://api.bing.microsoft.com/")).toBe(false);
    expect(allowed(policy, "https://api.bing.microsoft.com:8443/")).toBe(false);
    expect(allowed(policy, "https://bing.microsoft.com/")).toBe(false);
    expect(allowed(policy, "https://api.bing.microsoft.com.evil.example/")).toBe(false);
    expect(allowed(policy, "http://127.0.0.1:4011/")).toBe(false);
    expect(reason(policy, "https://example.com/")).toBe("origin https://example.com:443 is not in the package's permissions.fetch");
  });

  it("reads odd IPv4 spellings as the address they are", () => {
    expect(allowed(policy, "http://0x7f.1:4010/")).toBe(true);
    expect(allowed(policy, "http://2130706433:4010/")).toBe(true);
  });

  it("lets a wildcard cover subdomains at any depth but not the bare domain", () => {
    expect(allowed(policy, "https://open.feishu.cn/api")).toBe(true);
    expect(allowed(policy, "https://a.b.c.feishu.cn/")).toBe(true);
    expect(allowed(policy, "https://feishu.cn/")).toBe(false);
    expect(allowed(policy, "https://evilfeishu.cn/")).toBe(false);
    expect(allowed(policy, "http://open.feishu.cn/")).toBe(false);
    expect(allowed(policy, "https://open.feishu.cn:8443/")).toBe(false);
  });

  it.each(["file:///etc/passwd", "data:text/plain,hello", "blob:https://api.bing.microsoft.com/uuid", "ftp://api.bing.microsoft.com/", "javascript:alert(1)", "ws://api.bing.microsoft.com/"])(
    "refuses the non-http URL %s by its scheme",
    (url) => {
      expect(reason(policy, url)).toMatch(/scheme is not allowed; only http and https/);
    },
  );

  it("refuses credentials in URLs even for allowed origins", () => {
    expect(reason(policy, "https://user:pass@api.bing.microsoft.com/")).toBe("credentials in URLs are not allowed");
    expect(reason(policy, "https://user@api.bing.microsoft.com/")).toBe("credentials in URLs are not allowed");
  });

  it("lets deny_origins override the manifest and extra_origins, trailing dot or not", () => {
    const p = OriginPolicy.forPackage(["https://*.feishu.cn", "https://api.example.com"], {
      extra_origins: ["https://internal.example.org"],
      deny_origins: ["https://admin.feishu.cn", "https://internal.example.org"],
    });
    expect(allowed(p, "https://open.feishu.cn/")).toBe(true);
    expect(reason(p, "https://admin.feishu.cn/")).toContain("denied by the operator");
    expect(reason(p, "https://admin.feishu.cn./")).toContain("denied by the operator");
    expect(reason(p, "https://internal.example.org/")).toContain("denied by the operator");
  });

  it("widens every package by extra_origins", () => {
    const p = OriginPolicy.forPackage(["https://api.example.com"], { extra_origins: ["https://*.corp.example"], deny_origins: [] });
    expect(allowed(p, "https://search.corp.example/")).toBe(true);
    expect(allowed(p, "https://api.example.com/")).toBe(true);
  });

  it("gives a package without permissions.fetch no network at all", () => {
    const p = OriginPolicy.forPackage(undefined, noOperator);
    expect(reason(p, "https://api.example.com/")).toContain("declares no fetch origins");
  });

  it("assertAllowed throws FetchDenied with the url and reason", () => {
    expect(() => policy.assertAllowed(new URL("file:///etc/passwd"))).toThrow(
      expect.objectContaining({ code: "FetchDenied", data: expect.objectContaining({ url: "file:///etc/passwd", rule: "origin" }) }),
    );
  });

  it("anyOrigin allows every http(s) origin except denied ones", () => {
    const p = OriginPolicy.anyOrigin(["https://blocked.example"]);
    expect(allowed(p, "https://registry.example/pkg.zip")).toBe(true);
    expect(allowed(p, "http://10.0.0.1/x")).toBe(true);
    expect(allowed(p, "https://blocked.example/x")).toBe(false);
    expect(allowed(p, "file:///tmp/x.zip")).toBe(false);
  });
});
