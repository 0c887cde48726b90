// The command a walled sandbox child is started with, in one place: the supervisor
// starts every child with it, and the escape tests start their attacker's script with
// the very same wrapper and flags. Outside in:
//   prlimit (open files, processes, core dumps = 0)
//   → setpriv (uid/gid 65534, no groups, no capabilities, no_new_privs; only as root)
//   → bwrap (own user, network, PID, IPC and UTS namespaces; a mount view with only the
//     system libraries, node, the project's node_modules and the entry, all read-only,
//     plus a private tmpfs /tmp, /proc and a minimal /dev; the start seccomp filter)
//   → node (which loads the whole seccomp filter itself before anything else runs).
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
export function bwrapArgs(entry: string, seccompFd: number | null): string[] {
  const node = realpathSync(process.execPath);
  const modules = realpathSync(join(root, "node_modules"));
  const args = [
    "--unshare-user",
    "--unshare-net",
    "--unshare-pid",
    "--unshare-ipc",
    "--unshare-uts",
    "--unshare-cgroup-try",
    "--disable-userns",
    "--die-with-parent",
    "--new-session",
    "--cap-drop",
    "ALL",
    // The scratch first: binds below /tmp (a test's entry) are laid over it, not under.
    "--tmpfs",
    "/tmp",
    ...systemView(),
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
  return args;
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
  if (plan.tools.setpriv) {
    prefix.push(
      plan.tools.setpriv,
      `--reuid=${SANDBOX_UID}`,
      `--regid=${SANDBOX_UID}`,
      "--clear-groups",
      "--inh-caps=-all",
      "--bounding-set=-all",
      "--no-new-privs",
      "--",
    );
  }
  if (plan.tools.bwrap) {
    fd = openSync(startFilter(), "r");
    env[OS_SANDBOX_BWRAP_ENV] = "1";
    stdio.push(fd);
    prefix.push(plan.tools.bwrap, ...bwrapArgs(launch.entry, SECCOMP_FD), "--");
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
