// Run by a walled sandbox child itself, first thing: loads the whole seccomp filter into
// this process (every thread, SECCOMP_FILTER_FLAG_TSYNC) through libc via koffi, an FFI
// with prebuilt binaries in its npm package. bwrap can only load a filter before it
// execs node, so a filter from bwrap cannot refuse execve; this one can, because node
// has already started when it is loaded.
import { createRequire } from "node:module";
import { arch } from "node:process";
import { buildSeccompFilter, seccompSupported } from "./seccomp.ts";

const SYS_SECCOMP: Record<string, number> = { x64: 317, arm64: 277 };
const PR_SET_NO_NEW_PRIVS = 38;
const SECCOMP_SET_MODE_FILTER = 1;
const SECCOMP_FILTER_FLAG_TSYNC = 1;

interface Koffi {
  load(name: string): { func(signature: string): (...args: unknown[]) => number };
  address(value: Buffer): bigint | number;
  errno(): number;
}

/** Loads the filter; null when it is in force, else why not. */
export function loadSeccompSelf(options: { ringUse: boolean }): string | null {
  if (!seccompSupported(arch)) return `seccomp filter not available on ${arch}`;
  let koffi: Koffi;
  try {
    koffi = createRequire(import.meta.url)("koffi") as Koffi;
  } catch (err) {
    return `seccomp filter needs the koffi package (${(err as Error).message.split("\n")[0]})`;
  }
  try {
    const libc = koffi.load("libc.so.6");
    const prctl = libc.func("int prctl(int, unsigned long, unsigned long, unsigned long, unsigned long)");
    const syscall = libc.func("long syscall(long, long, long, void *)");
    const filter = buildSeccompFilter(arch, { exec: true, ringUse: options.ringUse });
    const prog = Buffer.alloc(16);
    prog.writeUInt16LE(filter.length / 8, 0);
    prog.writeBigUInt64LE(BigInt(koffi.address(filter)), 8);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) !== 0) return `prctl(PR_SET_NO_NEW_PRIVS) failed (errno ${koffi.errno()})`;
    const rc = syscall(SYS_SECCOMP[arch]!, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, prog);
    if (rc !== 0) return `seccomp(SECCOMP_SET_MODE_FILTER) failed (errno ${koffi.errno()})`;
    return null;
  } catch (err) {
    return `seccomp filter could not be loaded: ${(err as Error).message.split("\n")[0]}`;
  }
}
