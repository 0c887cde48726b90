// The command a walled sandbox child is started with, in one place: the supervisor
// starts every child with it, and the escape tests start their attacker's script with
// the very same wrapper and flags. Outside in:
//   prlimit (open files, processes, core dumps = 0)
//   → bwrap (network, PID, IPC and UTS namespaces; a mount view with only the system
//     libraries, node, the project's node_modules and the entry, all read-only, plus a
//     private tmpfs /tmp, /proc and a minimal /dev; the start seccomp filter)
//   → setpriv inside that view (uid/gid 65534, no groups, no capabilities,
//     no_new_privs; only as root)
//   → node (which loads the whole seccomp filter itself before anything else runs).
// As root, bwrap builds the view with root's rights and makes no user namespace (one
// would map the child back to root outside); setpriv then drops to the unprivileged
// uid inside it, so the project may live in a folder that uid could not reach (the
// view's own parent folders are bwrap's). Not as root, bwrap makes a user namespace.
import { realpathSync, existsSync, lstatSync, openSync, closeSync, writeFileSync, mkdirSync, renameSync, chmodSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { arch } from "node:process";
import { fileURLToPath } from "node:url";
import type { StdioOptions } from "node:child_process";
import { buildSeccompFilter, seccompSupported } from "./seccomp.ts";
import type { OsSandboxPlan } from "./detect.ts";
import { OS_SANDBOX_BWRAP_ENV, OS_SANDBOX_ENV } from "./env.ts";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "..", "..");
const cacheDir = join(root, "node_modules", ".cache", "hiagent-sandbox");

/** The uid and gid a walled child runs as (nobody/nogroup). */
export const SANDBOX_UID = 65534;
/**
 * rlimits of a walled child. RLIMIT_NPROC counts threads, and it counts every process
 * and thread of uid 65534 on the machine (all children of all pools together), so it
 * is a ceiling for the machine's sake, not a per-child budget; open files are per child
 * and stop a thread bomb long before it (a worker thread takes a few fds).
 */
export const SANDBOX_RLIMITS = { nofile: 128, nproc: 2048, core: 0 } as const;
/** The fd bwrap reads its seccomp filter from (after stdin, stdout, stderr, IPC). */
const SECCOMP_FD = 4;


export interface NodeLaunch {
  /** Absolute path of the script node runs. */
  entry: string;
  execArgv: string[];
  env: Record<string, string>;
}

export interface Launch {
  command: string;
  args: string[];
  stdio: StdioOptions;
  env: Record<string, string>;
  /** Closes what was opened for the launch (call once the process is spawned). */
  done(): void;
}

/** The system folders the dynamic loader needs, as bwrap arguments (read-only). */
function systemView(): string[] {
  const args: string[] = [];
  for (const dir of ["/usr/lib", "/usr/lib64"]) if (existsSync(dir)) args.push("--ro-bind", dir, dir);
  for (const link of ["/lib", "/lib64"]) {
    if (!existsSync(link)) continue;
    const stat = lstatSync(link);
    if (stat.isSymbolicLink()) args.push("--symlink", realpathSync(link), link);
    else args.push("--ro-bind", link, link);
  }
  args.push("--ro-bind-try", "/etc/ld.so.cache", "/etc/ld.so.cache");
  return args;
}

let startFilterFile: string | null = null;

/** The start filter (no execve rule), written once under node_modules/.cache. */
function startFilter(): string {
  if (startFilterFile !== null) return startFilterFile;
  if (!seccompSupported(arch)) throw new Error(`no seccomp filter for ${arch}`);
  mkdirSync(cacheDir, { recursive: true });
  const file = join(cacheDir, `seccomp-start-${arch}.bpf`);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, buildSeccompFilter(arch, { exec: false, ringUse: true }));
  chmodSync(tmp, 0o644);
  // rename is atomic: concurrent starts never read a half-written filter.
  renameSync(tmp, file);
  startFilterFile = file;
  return file;
}

/** bwrap's arguments for the mount view and namespaces (without the command). */
export function bwrapArgs(entry: string, seccompFd: number | null, setpriv?: string): string[] {
  const node = realpathSync(process.execPath);
  const modules = realpathSync(join(root, "node_modules"));
  // With setpriv inside, bwrap runs as root: no user namespace, and the capabilities
  // setpriv needs to switch uid stay until setpriv drops every one of them.
  const identity = setpriv === undefined ? ["--unshare-user", "--disable-userns", "--cap-drop", "ALL"] : [];
  const setprivView = setpriv === undefined ? [] : ["--ro-bind", realpathSync(setpriv), setpriv];
  const args = [
    ...identity,
    "--unshare-net",
    "--unshare-pid",
    "--unshare-ipc",
    "--unshare-uts",
    "--unshare-cgroup-try",
    "--die-with-parent",
    "--new-session",
    // The scratch first: binds below /tmp (a test's entry) are laid over it, not under.
    // World-writable and sticky, as /tmp is: as root, bwrap would make it root's alone.
    "--perms",
    "1777",
    "--tmpfs",
    "/tmp",
    ...systemView(),
    ...setprivView,
    "--ro-bind",
    dirname(node),
    dirname(node),
    "--ro-bind",
    modules,
    modules,
    "--ro-bind",
    entry,
    entry,
    "--proc",
    "/proc",
    "--dev",
    "/dev",
    "--chdir",
    "/tmp",
    // The sandbox's own root (where bwrap made the mount points) is read-only too.
    "--remount-ro",
    "/",
  ];
  if (seccompFd !== null) args.push("--seccomp", String(seccompFd));
  return withOpenParents(args);
}

/**
 * bwrap run as root makes the missing parents of a bind's destination with mode 0700,
 * which the unprivileged uid cannot cross: each parent is made first, world-traversable
 * (0755), right after the scratch.
 */
function withOpenParents(args: string[]): string[] {
  const parents = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const flag = args[i];
    if (flag !== "--ro-bind" && flag !== "--ro-bind-try" && flag !== "--symlink") continue;
    const dest = args[i + 2];
    i += 2;
    if (dest === undefined) continue;
    for (let dir = dirname(dest); dir !== "/" && dir !== "."; dir = dirname(dir)) parents.add(dir);
  }
  const ordered = [...parents].filter((d) => d !== "/tmp").sort((a, b) => a.split("/").length - b.split("/").length || a.localeCompare(b));
  const dirs = ordered.flatMap((dir) => ["--perms", "0755", "--dir", dir]);
  const scratch = args.indexOf("/tmp", args.indexOf("--tmpfs")) + 1;
  return [...args.slice(0, scratch), ...dirs, ...args.slice(scratch)];
}

/** A tool's absolute path (a bare name is looked up on PATH), so it can be bound into the view. */
function absoluteTool(tool: string): string {
  if (tool.includes("/")) return resolve(tool);
  for (const dir of (process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin").split(":")) {
    if (dir === "") continue;
    const candidate = join(dir, tool);
    if (existsSync(candidate)) return candidate;
  }
  throw new Error(`${tool} is not on PATH`);
}

/** How to start node under the plan's layers (plain node when the plan has none). */
export function osSandboxLaunch(plan: OsSandboxPlan, launch: NodeLaunch): Launch {
  const env: Record<string, string> = { ...launch.env, [OS_SANDBOX_ENV]: plan.mode };
  const node = process.execPath;
  const nodeArgs = [...launch.execArgv, launch.entry];
  const stdio: StdioOptions = ["ignore", "inherit", "pipe", "ipc"];
  const prefix: string[] = [];
  let fd: number | null = null;
  if (plan.tools.prlimit) {
    const { nofile, core, nproc } = SANDBOX_RLIMITS;
    prefix.push(plan.tools.prlimit, `--nofile=${nofile}:${nofile}`, `--core=${core}:${core}`);
    // Counted per user: only a uid of its own keeps the host's processes out of the count.
    if (plan.tools.setpriv) prefix.push(`--nproc=${nproc}:${nproc}`);
    prefix.push("--");
  }
  const setpriv = plan.tools.setpriv === undefined ? undefined : plan.tools.bwrap ? absoluteTool(plan.tools.setpriv) : plan.tools.setpriv;
  const dropPrivileges = setpriv
    ? [
        setpriv,
        `--reuid=${SANDBOX_UID}`,
        `--regid=${SANDBOX_UID}`,
        "--clear-groups",
        "--inh-caps=-all",
        "--bounding-set=-all",
        "--no-new-privs",
        "--",
      ]
    : [];
  if (plan.tools.bwrap) {
    fd = openSync(startFilter(), "r");
    env[OS_SANDBOX_BWRAP_ENV] = "1";
    stdio.push(fd);
    prefix.push(plan.tools.bwrap, ...bwrapArgs(launch.entry, SECCOMP_FD, setpriv), "--", ...dropPrivileges);
  } else {
    prefix.push(...dropPrivileges);
  }
  const [command, ...args] = [...prefix, node, ...nodeArgs] as [string, ...string[]];
  return {
    command,
    args,
    stdio,
    env,
    done: () => {
      if (fd !== null) closeSync(fd);
      fd = null;
    },
  };
}
