// The web console end to end, in a real browser (Debian's chromium via playwright-core)
// against a real server with auth: sign in, install an example package by upload and
// watch its stages, run a plain and a streaming tool through their generated forms, see
// a ToolError, see hostile plugin metadata rendered as inert text, an invoke token with
// no install or delete buttons, the job list, health, usage, delete; and /docs with
// every request off this machine refused. Each screen is saved as a screenshot.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mintToken } from "../../host/auth/index.ts";
import { packFolder } from "../../sdk/src/testing/package-archive.ts";
import { startTestRuntime, type TestRuntime } from "../host/http/runtime-fixture.ts";
import { launchChromium, screenshot, watchPage, type PageWatch } from "./browser.ts";
import { demoPackage, exposedSecretPackage, HOSTILE, hostilePackage } from "./console-packages.ts";
import { HOSTILE_EFFECTS, JOB_STATES_SEEN, RECORD_JOB_STATES, STORED_SECRETS } from "./page-scripts.ts";

let rt: TestRuntime;
let browser: Browser;
let files: string;
let mathZip: string;
/** Serves demo 1.2.0 over http; while `stall` is set it sends a few bytes and then nothing, so the install sits in its download stage. */
let source: Server;
let sourceUrl: string;
let stall = true;
const admin = mintToken();
const invoke = mintToken();

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function uploadByApi(zip: Uint8Array, filename: string): Promise<void> {
  const res = await fetch(`${rt.url}/v1/UploadPackage?filename=${filename}`, { method: "POST", body: Buffer.from(zip), headers: bearer(admin.token) });
  const { job_id } = ((await res.json()) as { data: { job_id: string } }).data;
  const waited = await fetch(`${rt.url}/v1/WatchInstallJob`, { method: "POST", body: JSON.stringify({ job_id }), headers: bearer(admin.token) });
  expect(await waited.text()).toContain('"status":"finished"');
}

async function signedIn(context: BrowserContext, token: string): Promise<{ page: Page; watch: PageWatch }> {
  const page = await context.newPage();
  const watch = await watchPage(page);
  await page.goto(`${rt.url}/console`);
  await page.fill("#token", token);
  await page.click("[data-action=sign-in]");
  await page.waitForSelector("[data-nav=packages]");
  return { page, watch };
}

beforeAll(async () => {
  const slowZip = Buffer.from(await demoPackage("1.2.0"));
  source = createServer((req, res) => {
    res.writeHead(200, { "content-type": "application/zip", "content-length": String(slowZip.length) });
    if (stall) res.write(slowZip.subarray(0, 10));
    else res.end(slowZip);
  });
  await new Promise<void>((resolve) => source.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(source.address() as AddressInfo).port}`;
  sourceUrl = `${origin}/console_demo-1.2.0.zip`;
  rt = await startTestRuntime({
    HIAGENT_SANDBOX__FETCH__ALLOW_PRIVATE_ORIGINS: JSON.stringify([origin]),
    HIAGENT_AUTH__TOKENS: JSON.stringify([
      { token_sha256: admin.sha256, tenant: "ops", role: "admin" },
      { token_sha256: invoke.sha256, tenant: "acme", role: "invoke" },
    ]),
  });
  files = await mkdtemp(path.join(tmpdir(), "console-files-"));
  const math = await packFolder(path.resolve("examples/hiagent_plugin_math"));
  mathZip = path.join(files, math.filename);
  await writeFile(mathZip, math.zip);
  await uploadByApi(await demoPackage(), "console_demo-1.0.0.zip");
  await uploadByApi(await demoPackage("1.1.0"), "console_demo-1.1.0.zip");
  await uploadByApi(await hostilePackage(), "hostile.zip");
  await uploadByApi(await exposedSecretPackage(), "raw_secret-1.0.0.zip");
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await rt?.close();
  source?.closeAllConnections();
  await new Promise((resolve) => source?.close(resolve));
  if (files) await rm(files, { recursive: true, force: true });
});

describe("the console as an admin", () => {
  let context: BrowserContext;
  let page: Page;
  let watch: PageWatch;

  beforeAll(async () => {
    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "en-US" });
  });
  afterAll(async () => {
    await context?.close();
  });

  it("asks for a token, refuses an unknown one, and signs in with an admin token kept in session storage only", async () => {
    page = await context.newPage();
    watch = await watchPage(page);
    const res = await page.goto(`${rt.url}/console`);
    expect(res?.headers()["content-security-policy"]).toContain("script-src 'self'");
    await page.waitForSelector("#token");
    await screenshot(page, "01-sign-in");
    await page.fill("#token", "not-a-token");
    await page.click("[data-action=sign-in]");
    await page.waitForSelector(".signin .error-text");
    expect(await page.textContent(".signin .error-text")).toContain("malformed or unknown");
    await page.fill("#token", admin.token);
    await page.click("[data-action=sign-in]");
    await page.waitForSelector("[data-nav=install]");
    expect(await page.textContent(".who")).toContain("role admin");
    const stored = await page.evaluate(STORED_SECRETS);
    expect(stored).toEqual({ session: [admin.token], local: [], cookie: "" });
  });

  it("lists packages with plugins, tools, labels, icons and permissions, versions side by side", async () => {
    await page.waitForSelector("[data-package-name=console_demo]");
    const versions = await page.$$eval("[data-package-name=console_demo] .version", (els) => els.map((e) => e.getAttribute("data-version")));
    expect(versions.sort()).toEqual(["1.0.0", "1.1.0"]);
    const card = page.locator("[data-package=console_demo][data-version='1.0.0']");
    expect(await card.locator(".origin").allTextContents()).toEqual(["https://api.example.com"]);
    expect(await card.locator("[data-tool]").evaluateAll((els) => els.map((e) => e.getAttribute("data-tool")))).toEqual(["form_echo", "count_stream", "fail"]);
    await card.locator("img.icon").waitFor();
    expect(await card.locator("img.icon").evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth > 0)).toBe(true);
    expect(await card.locator(".labels").textContent()).toContain("演示");
    // Only a plugin that opts a secret out of placeholders is flagged, naming the field.
    expect(await card.locator(".exposed-secrets").count()).toBe(0);
    const raw = page.locator("[data-package=raw_secret] [data-plugin=Raw] .exposed-secrets");
    await raw.waitFor();
    expect(await raw.getAttribute("data-exposed-secrets")).toBe("signing_key");
    expect(await raw.textContent()).toContain("signing_key");
    await screenshot(page, "02-packages");
  });

  it("installs an example package by upload and follows its stages live to the end", async () => {
    await page.click("[data-nav=install]");
    await page.setInputFiles("#install-file", mathZip);
    // Record every state the page shows while the install runs.
    await page.evaluate(RECORD_JOB_STATES);
    await page.click("[data-action=upload]");
    await page.waitForSelector(".job[data-status=finished]", { timeout: 60_000 });
    const seen = (await page.evaluate(JOB_STATES_SEEN)) as string[];
    expect(seen.at(-1)).toBe("finished:");
    expect(seen.some((s) => s.startsWith("started:"))).toBe(true);
    const stages = await page.$$eval(".stage", (els) => Object.fromEntries(els.map((e) => [e.getAttribute("data-stage"), e.getAttribute("data-state")])));
    expect(stages).toEqual({ download: "done", unpack: "done", bundle: "done", inspect: "done", precompile: "done", publish: "done" });
    expect(await page.textContent(".job .ok-text")).toBe("Installed hiagent_plugin_math@1.0.0");
    await screenshot(page, "03-install");
  });

  it("shows a failed install's reason and retries it", async () => {
    // The same version again, without "replace": the job fails with AlreadyInstalled's message.
    await page.click("[data-action=upload]");
    await page.waitForSelector(".job[data-status=failed]");
    expect(await page.textContent(".job .reason")).toContain("hiagent_plugin_math@1.0.0");
    await screenshot(page, "04-install-failed");
    await page.click("[data-action=retry]");
    await page.waitForSelector(".job[data-status=failed] .reason");
  });

  it("shows a refused URI's error, cancels a running install from a URI and retries it to the end", async () => {
    await page.fill("#install-uri", "file:///etc/passwd");
    await page.click("[data-action=install-uri]");
    await page.waitForSelector(".job[data-status=failed]");
    expect(await page.textContent(".job .reason")).toContain("outside the allowed package.file_roots");

    await page.fill("#install-uri", sourceUrl);
    await page.click("[data-action=install-uri]");
    await page.waitForSelector(".job[data-status=started] .stage-current[data-stage=download]");
    await screenshot(page, "04b-install-running");
    await page.click("[data-action=cancel]");
    await page.waitForSelector(".job[data-status=canceled]");
    expect(await page.textContent(".job .reason")).toContain("canceled");
    stall = false;
    await page.click("[data-action=retry]");
    await page.waitForSelector(".job[data-status=finished]", { timeout: 60_000 });
    expect(await page.textContent(".job .ok-text")).toBe("Installed console_demo@1.2.0");
  });

  it("runs a plain tool through the form generated from its schema, with the usage receipt", async () => {
    await page.goto(`${rt.url}/console#/try/console_demo/1.0.0/Demo/form_echo`);
    await page.waitForSelector("[data-field='input.text']");
    // Required marks, help text, bounds, defaults, enum, boolean, array, nested object.
    expect(await page.locator("[data-field='input.text'] .required").count()).toBe(1);
    expect(await page.textContent("[data-field='input.text'] .help")).toContain("Something to echo");
    const count = page.locator("[data-field='input.count'] input");
    expect(await count.getAttribute("min")).toBe("1");
    expect(await count.getAttribute("max")).toBe("5");
    expect(await count.inputValue()).toBe("2");
    expect(await page.textContent("[data-field='input.count'] .help")).toContain("≤ 5");
    expect(await page.locator("[data-field='input.mode'] select option").allTextContents()).toEqual(["plain", "shout"]);
    expect(await page.locator("[data-field='input.loud'] input[type=checkbox]").count()).toBe(1);
    expect(await page.locator("[data-field='input.options.depth'] input").inputValue()).toBe("1");
    // The secret config field is a password input; region is an enum with its default.
    expect(await page.locator("[data-field='cfg.api_key'] input").getAttribute("type")).toBe("password");
    expect(await page.locator("[data-field='cfg.region'] select").inputValue()).toBe('"eu"');

    await page.fill("[data-field='input.text'] input", "hello");
    await page.fill("[data-field='input.count'] input", "3");
    await page.selectOption("[data-field='input.mode'] select", '"shout"');
    await page.check("[data-field='input.loud'] input");
    await page.click("[data-add='input.tags']");
    await page.fill("[data-field='input.tags.0'] input", "first");
    await page.fill("[data-field='input.options.note'] input", "nested");
    await page.fill("[data-field='cfg.api_key'] input", "sekret-value");
    await page.click("[data-action=run]");
    await page.waitForSelector("[data-output] .json");
    const result = JSON.parse((await page.textContent("[data-output] .json")) ?? "null") as Record<string, unknown>;
    expect(result).toEqual({
      echoed: ["HELLO", "HELLO", "HELLO"],
      input: { text: "hello", count: 3, mode: "shout", loud: true, tags: ["first"], options: { depth: 1, note: "nested" } },
      key_given: true,
      region: "eu",
    });
    const receipt = await page.textContent("[data-receipt]");
    expect(receipt).toMatch(/CPU\s*[\d.]+ ms/);
    expect(receipt).toMatch(/heap peak/);
    expect(receipt).toMatch(/fetches0/);
    // The secret is sent, never shown back in the page.
    expect(await page.content()).not.toContain("sekret-value");
    await screenshot(page, "05-try-tool");
  });

  it("refuses bad input with the code and message, before running", async () => {
    await page.fill("[data-field='input.text'] input", "");
    await page.locator("[data-field='input.text'] input").evaluate((el) => el.removeAttribute("required"));
    await page.click("[data-action=run]");
    await page.waitForSelector("[data-output] .error-box");
    expect(await page.textContent("[data-output] .error-code")).toBe("InvalidInput");
  });

  it("shows a streaming tool's chunks as they arrive", async () => {
    await page.goto(`${rt.url}/console#/try/console_demo/1.0.0/Demo/count_stream`);
    await page.waitForSelector("[data-field='input.n'] input");
    await page.fill("[data-field='input.n'] input", "4");
    await page.fill("[data-field='cfg.api_key'] input", "key");
    await page.click("[data-action=run]");
    // The first chunk is on the page while the tool is still running.
    await page.waitForSelector(".chunk");
    expect(await page.textContent("[data-action=run]")).toBe("Running…");
    expect(await page.locator(".chunk").count()).toBeLessThan(4);
    await page.waitForSelector("[data-action=run]:not([disabled])", { timeout: 20_000 });
    const chunks = await page.locator(".chunk .json").allTextContents();
    expect(chunks.map((c) => JSON.parse(c) as unknown)).toEqual([{ i: 0 }, { i: 1 }, { i: 2 }, { i: 3 }]);
    await screenshot(page, "06-stream");
  });

  it("shows a ToolError with its code, message and receipt", async () => {
    await page.goto(`${rt.url}/console#/try/console_demo/1.0.0/Demo/fail`);
    await page.waitForSelector("[data-field='cfg.api_key'] input");
    await page.fill("[data-field='cfg.api_key'] input", "key");
    await page.click("[data-action=run]");
    await page.waitForSelector("[data-output] .error-box");
    expect(await page.textContent("[data-output] .error-code")).toBe("ToolError");
    expect(await page.textContent("[data-output] .error-message")).toContain("upstream broke");
    expect(await page.textContent("[data-receipt]")).toMatch(/CPU/);
    await screenshot(page, "07-tool-error");
  });

  it("runs with the tenant's stored config when there is one, showing it redacted", async () => {
    await page.goto(`${rt.url}/console#/try/console_demo/1.0.0/Demo/form_echo`);
    await page.waitForSelector("[data-stored-config=none]");
    const stored = await fetch(`${rt.url}/v1/SetPluginConfig`, {
      method: "POST",
      body: JSON.stringify({ pkg: "console_demo", plugin: "Demo", cfg: { api_key: "stored-secret-key", region: "us" } }),
      headers: bearer(admin.token),
    });
    expect(stored.status).toBe(200);
    await page.reload();
    await page.waitForSelector("[data-action=use-stored]:checked");
    expect(await page.textContent("[data-stored-config]")).toContain("[redacted]");
    expect(await page.locator("[data-field='cfg.api_key']").count()).toBe(0);
    await page.fill("[data-field='input.text'] input", "with stored");
    await page.click("[data-action=run]");
    await page.waitForSelector("[data-output] .json");
    const result = JSON.parse((await page.textContent("[data-output] .json")) ?? "null") as Record<string, unknown>;
    expect(result).toMatchObject({ key_given: true, region: "us" });
    expect(await page.content()).not.toContain("stored-secret-key");
    await screenshot(page, "07b-stored-config");
    // Unchecked, the form's own config is sent instead.
    await page.uncheck("[data-action=use-stored]");
    await page.fill("[data-field='cfg.api_key'] input", "abcd");
    await page.click("[data-action=run]");
    await page.locator("[data-output] .json", { hasText: '"region": "eu"' }).waitFor();
  });

  it("lists recent install jobs with status, stage and reason", async () => {
    await page.goto(`${rt.url}/console#/jobs`);
    await page.waitForSelector("table.jobs tbody tr");
    const rows = await page.locator("table.jobs tbody tr").allTextContents();
    expect(rows[0]).toMatch(/console_demo@1\.2\.0.*finished.*100%/);
    expect(rows[1]).toMatch(/passwd.*failed.*outside the allowed package\.file_roots/);
    expect(rows[2]).toMatch(/hiagent_plugin_math-1\.0\.0\.zip.*failed.*already installed/);
    expect(rows.some((r) => /hiagent_plugin_math@1\.0\.0.*finished.*100%/.test(r))).toBe(true);
    expect(rows.some((r) => /console_demo@1\.1\.0.*finished/.test(r))).toBe(true);
    expect(rows.some((r) => /console_demo@1\.2\.0.*finished/.test(r))).toBe(true);
    await screenshot(page, "08-jobs");
  });

  it("shows each component's health and every sandbox process", async () => {
    await page.goto(`${rt.url}/console#/health`);
    await page.waitForSelector("[data-component=sandbox]");
    const health = (await (await fetch(`${rt.url}/v1/health`, { headers: bearer(admin.token) })).json()) as { data: { components: Record<string, unknown> } };
    const components = Object.keys(health.data.components);
    expect(components).toEqual(expect.arrayContaining(["api", "queue", "storage", "sandbox"]));
    expect(await page.locator("[data-component]").evaluateAll((els) => els.map((e) => e.getAttribute("data-component")))).toEqual(components);
    expect(await page.textContent("[data-component=sandbox]")).toMatch(/pid/);
    await screenshot(page, "09-health");
  });

  it("charts the tenant's calls and CPU ms per package over the last hour, as GetUsage counts them", async () => {
    const res = await fetch(`${rt.url}/v1/GetUsage`, { method: "POST", body: JSON.stringify({ window: "1h" }), headers: bearer(admin.token) });
    const usage = ((await res.json()) as { data: { totals: { calls: number }; packages: { pkg: string; version: string; calls: number; cpu_ms: number }[]; series: unknown[] } }).data;
    const demo = usage.packages.find((p) => p.pkg === "console_demo" && p.version === "1.0.0");
    expect(demo?.calls).toBeGreaterThanOrEqual(5);
    await page.goto(`${rt.url}/console#/usage`);
    await page.waitForSelector("svg.chart");
    expect(await page.locator("[data-chart=calls] rect.bar").count()).toBe(usage.series.length);
    expect(await page.locator("[data-chart=cpu_ms] rect.bar").count()).toBe(usage.series.length);
    expect(await page.textContent("main")).toContain(`${usage.totals.calls} calls`);
    const row = page.locator("table.usage tr", { hasText: "console_demo@1.0.0" });
    expect(await row.locator("td").nth(1).textContent()).toBe(String(demo?.calls));
    expect(await row.locator("td").nth(3).textContent()).toBe(demo?.cpu_ms.toFixed(1));
    await screenshot(page, "10-usage");
  });

  it("deletes a version only after confirming in the page", async () => {
    await page.goto(`${rt.url}/console#/packages`);
    const card = page.locator("[data-package=console_demo][data-version='1.1.0']");
    await card.locator("[data-action=delete]").click();
    await screenshot(page, "11-delete-confirm");
    await card.locator("[data-action=confirm-delete]").click();
    // (waitForFunction would evaluate a string in the page, which its CSP refuses: no eval.)
    await card.waitFor({ state: "detached" });
    const listed = (await (await fetch(`${rt.url}/v1/ListPackages`, { method: "POST", body: "{}", headers: bearer(admin.token) })).json()) as { data: { name: string; version: string }[] };
    expect(listed.data.filter((p) => p.name === "console_demo").map((p) => p.version)).toEqual(["1.0.0", "1.2.0"]);
    expect(watch.dialogs).toEqual([]);
    expect(watch.violations).toEqual([]);
    expect(watch.errors).toEqual([]);
  });
});

describe("untrusted metadata", () => {
  it("renders hostile descriptions and labels as literal text: nothing runs, no element is made from them", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "zh-CN" });
    try {
      const { page, watch } = await signedIn(context, admin.token);
      await page.waitForSelector("[data-package-name=hostile_meta]");
      const card = page.locator("[data-package=hostile_meta]");
      // The browser prefers Chinese, so the zh label is the title, shown as typed.
      expect(await card.locator(".plugin-name").textContent()).toContain(HOSTILE.zhName);
      expect(await card.locator(".description").textContent()).toBe(HOSTILE.zhDescription);
      expect(await card.locator(".labels").textContent()).toContain(HOSTILE.label);
      expect(await card.locator(".tool-description").textContent()).toBe(HOSTILE.toolDescription);
      await page.click("[data-tool=probe] .tool-link");
      await page.waitForSelector("[data-field='input.q']");
      expect(await page.textContent("[data-field='input.q'] .help")).toBe(HOSTILE.toolDescription);
      await page.waitForTimeout(300);
      const made = await page.evaluate(HOSTILE_EFFECTS);
      expect(made).toEqual({ pwned: null, imgs: 0, scripts: ["/console/assets/console.js"] });
      await page.goBack();
      await page.waitForSelector("[data-package-name=hostile_meta]");
      await screenshot(page, "12-hostile-metadata");
      expect(watch.dialogs).toEqual([]);
      expect(watch.errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});

describe("the console with an invoke token", () => {
  it("sees packages and runs tools, with no install, jobs or delete controls", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "zh-CN" });
    try {
      const { page } = await signedIn(context, invoke.token);
      expect(await page.textContent(".who")).toContain("role invoke");
      expect(await page.locator("[data-nav=install], [data-nav=jobs]").count()).toBe(0);
      await page.waitForSelector("[data-package-name=hiagent_plugin_math]");
      expect(await page.locator("[data-action=delete]").count()).toBe(0);
      // The zh label of the math plugin, as the browser prefers Chinese.
      expect(await page.locator("[data-package=hiagent_plugin_math] .plugin-name").textContent()).toContain("数学计算");
      await screenshot(page, "13-invoke-packages");
      await page.goto(`${rt.url}/console#/install`);
      await page.waitForSelector("[data-package-name]");
      expect(await page.locator("#install-file").count()).toBe(0);
      await page.goto(`${rt.url}/console#/try/hiagent_plugin_math/1.0.0/Math/evaluate`);
      await page.fill("[data-field='input.expression'] input", "2 * (3 + 4) ^ 2");
      await page.click("[data-action=run]");
      await page.waitForSelector("[data-output] .json");
      expect(JSON.parse((await page.textContent("[data-output] .json")) ?? "null")).toEqual({ expression: "2 * (3 + 4) ^ 2", result: 98 });
      await screenshot(page, "14-invoke-try");
    } finally {
      await context.close();
    }
  });
});

describe("an open server (no auth), and /docs offline", () => {
  let open: TestRuntime;
  beforeAll(async () => {
    open = await startTestRuntime();
  }, 60_000);
  afterAll(async () => {
    await open?.close();
  });

  it("opens the console without a token, with every right, as the API does on loopback", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const page = await context.newPage();
      await page.goto(`${open.url}/console`);
      await page.waitForSelector("[data-nav=install]");
      expect(await page.textContent(".who")).toContain("open server");
      expect(await page.locator("#token").count()).toBe(0);
      expect(await page.textContent("main")).toContain("No packages installed.");
    } finally {
      await context.close();
    }
  });

  it("lists the operations in /docs with every request off this machine refused, under the page's CSP", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const page = await context.newPage();
      const watch = await watchPage(page);
      const refused: string[] = [];
      await page.route("**/*", (route) => {
        const host = new URL(route.request().url()).hostname;
        if (host === "127.0.0.1" || host === "localhost") return route.continue();
        refused.push(route.request().url());
        return route.abort();
      });
      const res = await page.goto(`${open.url}/docs`);
      expect(res?.headers()["content-security-policy"]).toContain("script-src 'self'");
      await page.waitForSelector(".opblock", { timeout: 20_000 });
      const operations = (await page.locator(".opblock-summary-path").allTextContents()).map((o) => o.replace(/\u200b/g, ""));
      for (const op of ["/v1/InstallPackage", "/v1/UploadPackage", "/v1/WatchInstallJob", "/v1/ListInstallJobs", "/v1/RunPluginTool", "/v1/health"]) {
        expect(operations).toContain(op);
      }
      await screenshot(page, "15-docs");
      expect(refused).toEqual([]);
      expect(watch.violations).toEqual([]);
      expect(watch.errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
