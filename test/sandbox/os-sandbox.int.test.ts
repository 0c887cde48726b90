// The second wall, tried the way an escaped attacker would: arbitrary Node code run in
// a process started exactly as the supervisor starts a sandbox child (the same launch
// function, so the same prlimit/setpriv/bwrap wrapper and flags, and the same prologue
// that loads the seccomp filter), then the pool's own start modes and health.
import { spawn, type ChildProcess } from "node:child_process";
import { access, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as esbuild from "esbuild";
import { describeMissing, detectOsSandbox, osSandboxLaunch, SANDBOX_RLIMITS, type OsSandboxPlan } from "../../sandbox/os-sandbox/index.ts";
import { SandboxOptionsSchema } from "../../sandbox/options.ts";
import { pluginSource, SandboxHarness } from "./plugin-fixture.ts";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
// Where the supervisor puts the child entry it starts: the attacker's script goes there too.
const cacheDir = join(root, "node_modules", ".cache", "hiagent-sandbox");
const tools = SandboxOptionsSchema.parse({}).os_sandbox_tools;

let plan: OsSandboxPlan;
let outside: string;
let server: Server;
let port: number;
let bystander: ChildProcess;

interface Run {
  result: Record<string, unknown> | null;
  code: number | null;
  signal: string | null;
  stdout: string;
}

/** Bundles `code` after the child prologue and runs it walled, as the supervisor would. */
async function runWalled(code: string, env: Record<string, string> = {}): Promise<Run> {
  const src = join(outside, `attack-${Math.random().toString(36).slice(2)}.ts`);
  const prologue = JSON.stringify(join(root, "sandbox/os-sandbox/child-prologue.ts"));
  // The bare import keeps the prologue even where the script does not use its export.
  await writeFile(src, `import ${prologue};\nimport { seccompStatus } from ${prologue};\n${code}`);
  const entry = join(cacheDir, `os-sandbox-attack-${process.pid}-${Math.random().toString(36).slice(2)}.mjs`);
  await esbuild.build({ entryPoints: [src], bundle: true, format: "esm", platform: "node", packages: "external", outfile: entry, logLevel: "silent" });
  const launch = osSandboxLaunch(plan, { entry, execArgv: [], env });
  try {
    const stdio = [...(launch.stdio as unknown[])];
    stdio[1] = "pipe"; // only so the test can read what it prints
    const child = spawn(launch.command, launch.args, { stdio: stdio as never, env: launch.env, serialization: "json" });
    launch.done();
    let stdout = "";
    child.stdout?.setEncoding("utf8").on("data", (t: string) => (stdout += t));
    let result: Record<string, unknown> | null = null;
    child.on("message", (m) => (result = m as Record<string, unknown>));
    const [exitCode, signal] = await new Promise<[number | null, string | null]>((r) => child.once("exit", (c, s) => r([c, s])));
    return { result, code: exitCode, signal, stdout };
  } finally {
    await rm(entry, { force: true });
  }
}

beforeAll(async () => {
  plan = await detectOsSandbox("required", tools);
  // Without every layer there is nothing to test: say which one is missing.
  if (plan.missing.length > 0) throw new Error(`the OS sandbox is not complete here: ${describeMissing(plan.missing)}`);
  outside = await mkdtemp(join(tmpdir(), "hiagent-os-sandbox-test-"));
  await writeFile(join(outside, "secret.txt"), "the host's secret");
  server = createServer((s) => s.end("hello from the host"));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  port = (server.address() as { port: number }).port;
  bystander = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { stdio: "ignore" });
});

afterAll(async () => {
  bystander?.kill("SIGKILL");
  server?.close();
  if (outside) await rm(outside, { recursive: true, force: true });
});

describe("a process started as the supervisor starts a sandbox child", () => {
  it("has no network, no names, no host files, no writes outside its scratch, no one to signal and no way to spawn", async () => {
    const extensions = join(outside, "extensions");
    await mkdir(extensions);
    const run = await runWalled(
      `
      import net from "node:net";
      import dns from "node:dns/promises";
      import fs from "node:fs";
      import cp from "node:child_process";
      const env = process.env;
      const connect = (port) => new Promise((done) => {
        const s = net.connect(port, "127.0.0.1");
        s.once("connect", () => { s.destroy(); done("connected"); });
        s.once("error", (e) => done(e.code));
      });
      const read = (p) => { try { return "read: " + fs.readFileSync(p, "utf8").slice(0, 20); } catch (e) { return e.code; } };
      const write = (p) => { try { fs.writeFileSync(p, "x"); return "written"; } catch (e) { return e.code; } };
      const kill = (pid) => { try { process.kill(pid, "SIGKILL"); return "signalled"; } catch (e) { return e.code; } };
      const out = { seccomp: seccompStatus, uid: process.getuid() };
      out.redis = await connect(6379);
      out.server = await connect(Number(env.TEST_PORT));
      out.lookup = await dns.lookup("localhost").then(() => "resolved", (e) => e.code);
      out.resolve = await dns.resolve4("registry.npmjs.org").then(() => "resolved", (e) => e.code);
      out.secret = read(env.TEST_SECRET);
      out.shadow = read("/etc/shadow");
      out.project = read(env.TEST_ROOT + "/package.json");
      out.writeProject = write(env.TEST_ROOT + "/escaped.txt");
      out.writeModules = write(env.TEST_ROOT + "/node_modules/escaped.txt");
      out.writeExtensions = write(env.TEST_EXTENSIONS + "/escaped.txt");
      out.writeScratch = write("/tmp/scratch.txt");
      out.killSupervisor = kill(Number(env.TEST_PID));
      out.killBystander = kill(Number(env.TEST_BYSTANDER));
      const spawned = cp.spawnSync(process.execPath, ["-e", "0"]);
      out.spawn = spawned.error ? spawned.error.code : "spawned";
      process.send(out, () => process.exit(0));
      `,
      {
        TEST_PORT: String(port),
        TEST_SECRET: join(outside, "secret.txt"),
        TEST_ROOT: root,
        TEST_EXTENSIONS: extensions,
        TEST_PID: String(process.pid),
        TEST_BYSTANDER: String(bystander.pid),
      },
    );
    expect(run.result).toMatchObject({
      seccomp: null,
      redis: "EPERM",
      server: "EPERM",
      secret: "ENOENT",
      shadow: "ENOENT",
      project: "ENOENT",
      writeProject: "EROFS",
      writeModules: "EROFS",
      writeExtensions: "ENOENT",
      writeScratch: "written",
      killSupervisor: "ESRCH",
      killBystander: "ESRCH",
      spawn: "EPERM",
    });
    const r = run.result!;
    expect(r["lookup"]).not.toBe("resolved");
    expect(r["resolve"]).not.toBe("resolved");
    // Nothing reached the host's files either.
    for (const file of [join(root, "escaped.txt"), join(root, "node_modules", "escaped.txt"), join(extensions, "escaped.txt")]) {
      await expect(access(file)).rejects.toThrow(/ENOENT/);
    }
    expect(bystander.exitCode).toBeNull();
    expect(bystander.signalCode).toBeNull();
  });

  it("cannot exec another program in its place", async () => {
    const run = await runWalled(
      `
      console.log("before");
      try { process.execve(process.execPath, [process.execPath, "-e", "console.log('escaped')"]); } catch (e) { console.log("refused", e.code); }
      `,
    );
    expect(run.stdout).toContain("before");
    expect(run.stdout).not.toContain("escaped");
    expect(run.code).not.toBe(0);
  });

  it("stops a thread bomb at its rlimit, and the host is untouched", async () => {
    const run = await runWalled(`
      import { Worker } from "node:worker_threads";
      let started = 0;
      let stoppedBy = null;
      while (started < 1000) {
        try {
          const w = new Worker("setInterval(() => {}, 1000)", { eval: true, resourceLimits: { maxOldGenerationSizeMb: 8 } });
          await new Promise((ok, fail) => { w.once("online", ok); w.once("error", fail); });
          started++;
        } catch (e) {
          stoppedBy = e.message;
          break;
        }
      }
      process.send({ started, stoppedBy }, () => process.exit(0));
    `);
    const r = run.result as { started: number; stoppedBy: string | null };
    expect(r.stoppedBy).toMatch(/EMFILE|EAGAIN/);
    expect(r.started).toBeLessThan(SANDBOX_RLIMITS.nofile);
    // The host still makes threads and connections as before.
    await new Promise<void>((ok, fail) => {
      const c = spawn(process.execPath, ["-e", "0"]);
      c.once("exit", (code) => (code === 0 ? ok() : fail(new Error(`exit ${code}`))));
    });
  });
});

describe("sandbox.os_sandbox", () => {
  it("required: the pool's children run inside every layer, serve calls, and health lists the layers", async () => {
    const h = new SandboxHarness({ processes: 1, os_sandbox: "required" });
    await h.start();
    try {
      const target = await h.install("walled", pluginSource(`add: defineTool({ input: z.object({ a: z.number(), b: z.number() }), run: (i) => i.a + i.b })`));
      expect((await h.call(target, "P", "add", { a: 2, b: 3 })).value).toBe(5);
      const [proc] = h.sandbox.health().processes;
      expect(proc?.os_sandbox).toEqual({ mode: "required", layers: ["network", "pid", "mount", "uid", "rlimits", "seccomp"], missing: [] });
    } finally {
      await h.stop();
    }
  });

  it("required: refuses to start, naming what is missing, when bwrap cannot be found", async () => {
    const h = new SandboxHarness({ processes: 1, os_sandbox: "required", os_sandbox_tools: { bwrap: join(outside, "no-such-bwrap") } });
    try {
      await expect(h.start()).rejects.toThrow(/os_sandbox is required, but this machine cannot set up: network \(.*no-such-bwrap.*\), pid .*mount/);
    } finally {
      await h.stop();
    }
  });

  it("auto: starts without what is missing, warns naming it, and health says which layers are in force", async () => {
    const h = new SandboxHarness({ processes: 1, os_sandbox: "auto", os_sandbox_tools: { bwrap: join(outside, "no-such-bwrap") } });
    await h.start();
    try {
      const warning = h.logs.find((l) => l.level === "warn" && /OS sandbox layers/.test(l.msg));
      expect(warning?.msg).toMatch(/network .*pid .*mount/);
      const os = h.sandbox.health().processes[0]?.os_sandbox;
      const missing = new Set(os?.missing.map((m) => m.layer));
      expect([...missing].slice(0, 3)).toEqual(["network", "pid", "mount"]);
      // Without bwrap's view, uid 65534 runs the child only where it can read the
      // project's files (not in a checkout under a folder only root may enter).
      expect(missing.size === 3 || (missing.has("uid") && os!.missing.some((m) => m.layer === "uid" && /uid 65534/.test(m.reason)))).toBe(true);
      expect(os?.layers).toEqual(["uid", "rlimits", "seccomp"].filter((l) => !missing.has(l as never)));
      const target = await h.install("half-walled", pluginSource(`hi: defineTool({ run: () => "hi" })`));
      expect((await h.call(target, "P", "hi")).value).toBe("hi");
    } finally {
      await h.stop();
    }
  });

  it("off: forks plain children, with no layers", async () => {
    const h = new SandboxHarness({ processes: 1, os_sandbox: "off" });
    await h.start();
    try {
      expect(h.sandbox.health().processes[0]?.os_sandbox).toEqual({ mode: "off", layers: [], missing: [] });
    } finally {
      await h.stop();
    }
  });
});
