// The seccomp filter of a walled sandbox child, as classic BPF for bwrap's `--seccomp FD`.
// A denylist, written out here rather than made by libseccomp: it is a few dozen
// instructions, the syscall numbers of the two architectures we run on are fixed ABI,
// and the project then needs no Python or native build to make it. The filter refuses
// (EPERM) what an escaped plugin would need to get further: sockets, ptrace and reading
// other processes, execve (the filter is loaded just before node starts, so node is
// the last program the process ever runs), new processes (fork/vfork, clone without
// CLONE_THREAD; threads stay allowed), mounts and namespaces, kernel keyrings, io_uring
// (its SOCKET op would get round the socket rule), bpf, perf and module loading.
// Any other architecture (x32 included) is killed outright.
import { arch } from "node:process";

const BPF_LD_W_ABS = 0x20;
const BPF_JEQ_K = 0x15;
const BPF_JGE_K = 0x35;
const BPF_JSET_K = 0x45;
const BPF_RET_K = 0x06;

const SECCOMP_RET_KILL_PROCESS = 0x80000000;
const SECCOMP_RET_ERRNO = 0x00050000;
const SECCOMP_RET_ALLOW = 0x7fff0000;
const EPERM = 1;
const ENOSYS = 38;
const CLONE_THREAD = 0x00010000;
const X32_SYSCALL_BIT = 0x40000000;

// struct seccomp_data: int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6].
const OFFSET_NR = 0;
const OFFSET_ARCH = 4;
const OFFSET_ARG0_LOW = 16; // little-endian: the low 32 bits of args[0]

type Denied =
  | "socket" | "socketpair" | "ptrace" | "process_vm_readv" | "process_vm_writev" | "execve" | "execveat"
  | "fork" | "vfork" | "mount" | "umount2" | "pivot_root" | "open_tree" | "move_mount" | "fsopen" | "fsconfig"
  | "fsmount" | "fspick" | "mount_setattr" | "unshare" | "setns" | "keyctl" | "add_key" | "request_key"
  | "io_uring_setup" | "io_uring_enter" | "io_uring_register" | "bpf" | "perf_event_open" | "userfaultfd"
  | "init_module" | "finit_module" | "delete_module" | "kexec_load" | "reboot" | "swapon" | "swapoff" | "chroot";

interface ArchTable {
  audit: number;
  /** Syscalls that get EPERM (a name absent on the architecture is simply not there). */
  denied: Partial<Record<Denied, number>>;
  clone: number;
  /** Refused with ENOSYS, so the C library falls back to clone, whose flags we can see. */
  clone3: number;
  x32: boolean;
}

export const ARCHES: Record<"x64" | "arm64", ArchTable> = {
  x64: {
    audit: 0xc000003e, // AUDIT_ARCH_X86_64
    x32: true,
    clone: 56,
    clone3: 435,
    denied: {
      socket: 41, socketpair: 53, ptrace: 101, process_vm_readv: 310, process_vm_writev: 311, execve: 59, execveat: 322,
      fork: 57, vfork: 58, mount: 165, umount2: 166, pivot_root: 155, chroot: 161, open_tree: 428, move_mount: 429,
      fsopen: 430, fsconfig: 431, fsmount: 432, fspick: 433, mount_setattr: 442, unshare: 272, setns: 308, keyctl: 250,
      add_key: 248, request_key: 249, io_uring_setup: 425, io_uring_enter: 426, io_uring_register: 427, bpf: 321,
      perf_event_open: 298, userfaultfd: 323, init_module: 175, finit_module: 313, delete_module: 176, kexec_load: 246,
      reboot: 169, swapon: 167, swapoff: 168,
    },
  },
  arm64: {
    audit: 0xc00000b7, // AUDIT_ARCH_AARCH64
    x32: false,
    clone: 220,
    clone3: 435,
    denied: {
      socket: 198, socketpair: 199, ptrace: 117, process_vm_readv: 270, process_vm_writev: 271, execve: 221, execveat: 281,
      mount: 40, umount2: 39, pivot_root: 41, chroot: 51, open_tree: 428, move_mount: 429, fsopen: 430, fsconfig: 431,
      fsmount: 432, fspick: 433, mount_setattr: 442, unshare: 97, setns: 268, keyctl: 219, add_key: 217, request_key: 218,
      io_uring_setup: 425, io_uring_enter: 426, io_uring_register: 427, bpf: 280, perf_event_open: 241, userfaultfd: 282,
      init_module: 105, finit_module: 273, delete_module: 106, kexec_load: 104, reboot: 142, swapon: 224, swapoff: 225,
    },
  },
};

export function seccompSupported(cpu: string = arch): cpu is keyof typeof ARCHES {
  return cpu === "x64" || cpu === "arm64";
}

interface Insn {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

const stmt = (code: number, k: number): Insn => ({ code, jt: 0, jf: 0, k });
const jump = (code: number, k: number, jt: number, jf: number): Insn => ({ code, jt, jf, k });

const EXEC: readonly Denied[] = ["execve", "execveat"];
const RING_USE: readonly Denied[] = ["io_uring_enter", "io_uring_register"];

export interface FilterOptions {
  /** Refuse execve/execveat (only once node runs: bwrap's own exec of node comes after its filter). */
  exec: boolean;
  /**
   * Refuse using io_uring rings, not just making them. Only where bwrap's start filter
   * kept libuv from making its ring at startup: a ring libuv already uses cannot be
   * taken away (libuv aborts).
   */
  ringUse: boolean;
}

/**
 * The filter as bytes (struct sock_filter[], host byte order). `exec: false` leaves
 * execve alone: that is the filter bwrap loads (`--seccomp FD`) just before it execs
 * node; node then loads the whole filter itself (seccomp-self.ts) before any plugin
 * code runs, and from there on nothing is exec'd again.
 */
export function buildSeccompFilter(cpu: keyof typeof ARCHES, options: FilterOptions = { exec: true, ringUse: true }): Buffer {
  const table = ARCHES[cpu];
  const entries = Object.entries(table.denied) as [Denied, number][];
  const kept = entries.filter(([name]) => (options.exec || !EXEC.includes(name)) && (options.ringUse || !RING_USE.includes(name)));
  const denied = [...new Set(kept.map(([, nr]) => nr))];
  const prog: Insn[] = [];
  prog.push(stmt(BPF_LD_W_ABS, OFFSET_ARCH));
  prog.push(jump(BPF_JEQ_K, table.audit, 1, 0));
  prog.push(stmt(BPF_RET_K, SECCOMP_RET_KILL_PROCESS));
  prog.push(stmt(BPF_LD_W_ABS, OFFSET_NR));
  if (table.x32) {
    prog.push(jump(BPF_JGE_K, X32_SYSCALL_BIT, 0, 1));
    prog.push(stmt(BPF_RET_K, SECCOMP_RET_KILL_PROCESS));
  }
  // Each denied number jumps to the shared EPERM return, the last of the 7 after the list:
  //   0 clone3? → 5     1 clone? → 2, else 4     2 load flags     3 CLONE_THREAD? → 4, else 6
  //   4 allow           5 ENOSYS                 6 EPERM
  const n = denied.length;
  denied.forEach((nr, i) => prog.push(jump(BPF_JEQ_K, nr, n - i + 5, 0)));
  prog.push(jump(BPF_JEQ_K, table.clone3, 4, 0));
  prog.push(jump(BPF_JEQ_K, table.clone, 0, 2));
  prog.push(stmt(BPF_LD_W_ABS, OFFSET_ARG0_LOW));
  prog.push(jump(BPF_JSET_K, CLONE_THREAD, 0, 2));
  prog.push(stmt(BPF_RET_K, SECCOMP_RET_ALLOW));
  prog.push(stmt(BPF_RET_K, SECCOMP_RET_ERRNO | ENOSYS));
  prog.push(stmt(BPF_RET_K, SECCOMP_RET_ERRNO | EPERM));
  const buf = Buffer.alloc(prog.length * 8);
  prog.forEach((insn, i) => {
    buf.writeUInt16LE(insn.code, i * 8);
    buf.writeUInt8(insn.jt, i * 8 + 2);
    buf.writeUInt8(insn.jf, i * 8 + 3);
    buf.writeUInt32LE(insn.k >>> 0, i * 8 + 4);
  });
  return buf;
}
