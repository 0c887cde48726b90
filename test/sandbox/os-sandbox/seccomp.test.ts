// The seccomp filter as the kernel would run it: a small classic-BPF interpreter (the
// instructions the builder uses) answers for a syscall number, architecture and first
// argument, so each rule is checked on both architectures, arm64 included.
import { describe, expect, it } from "vitest";
import { ARCHES, buildSeccompFilter } from "../../../sandbox/os-sandbox/seccomp.ts";

const ALLOW = 0x7fff0000;
const KILL = 0x80000000;
const errno = (n: number) => 0x00050000 | n;
const EPERM = errno(1);
const ENOSYS = errno(38);

/** Runs the filter on struct seccomp_data {nr, arch, ip, args[6]}; returns the action. */
function run(filter: Buffer, data: { nr: number; arch: number; arg0?: number }): number {
  const mem = Buffer.alloc(64);
  mem.writeInt32LE(data.nr, 0);
  mem.writeUInt32LE(data.arch, 4);
  mem.writeBigUInt64LE(BigInt(data.arg0 ?? 0), 16);
  let acc = 0;
  for (let pc = 0; pc < filter.length / 8; ) {
    const code = filter.readUInt16LE(pc * 8);
    const jt = filter.readUInt8(pc * 8 + 2);
    const jf = filter.readUInt8(pc * 8 + 3);
    const k = filter.readUInt32LE(pc * 8 + 4);
    switch (code) {
      case 0x20: // ld [k]
        acc = mem.readUInt32LE(k);
        pc++;
        break;
      case 0x15: // jeq #k
        pc += 1 + (acc === k ? jt : jf);
        break;
      case 0x35: // jge #k
        pc += 1 + (acc >>> 0 >= k ? jt : jf);
        break;
      case 0x45: // jset #k
        pc += 1 + ((acc & k) !== 0 ? jt : jf);
        break;
      case 0x06: // ret #k
        return k >>> 0;
      default:
        throw new Error(`unexpected BPF opcode ${code.toString(16)} at ${pc}`);
    }
  }
  throw new Error("the filter fell off its end");
}

const CLONE_THREAD = 0x10000;
const READ = { x64: 0, arm64: 63 } as const;

describe.each(["x64", "arm64"] as const)("the seccomp filter on %s", (cpu) => {
  const table = ARCHES[cpu];
  const full = buildSeccompFilter(cpu, { exec: true, ringUse: true });
  const start = buildSeccompFilter(cpu, { exec: false, ringUse: true });
  const call = (filter: Buffer, nr: number, arg0?: number) => run(filter, { nr, arch: table.audit, ...(arg0 === undefined ? {} : { arg0 }) });

  it("refuses every denied syscall with EPERM, and lets ordinary ones through", () => {
    for (const [name, nr] of Object.entries(table.denied)) expect([name, call(full, nr)]).toEqual([name, EPERM]);
    expect(call(full, READ[cpu])).toBe(ALLOW);
  });

  it("allows threads but not new processes; clone3 answers ENOSYS so libc falls back to clone", () => {
    expect(call(full, table.clone, CLONE_THREAD | 0x3d0f00)).toBe(ALLOW);
    expect(call(full, table.clone, 0x11)).toBe(EPERM); // SIGCHLD: what fork() passes
    expect(call(full, table.clone3)).toBe(ENOSYS);
  });

  it("kills a syscall of any other architecture", () => {
    expect(run(full, { nr: READ[cpu], arch: cpu === "x64" ? ARCHES.arm64.audit : ARCHES.x64.audit })).toBe(KILL);
  });

  it("leaves execve to the full filter: the start filter (loaded before node) allows it", () => {
    expect(call(start, table.denied.execve!)).toBe(ALLOW);
    expect(call(full, table.denied.execve!)).toBe(EPERM);
    expect(call(start, table.denied.socket!)).toBe(EPERM);
  });

  it("can leave a ring libuv already uses alone, but never allows making one", () => {
    const noRingUse = buildSeccompFilter(cpu, { exec: true, ringUse: false });
    expect(call(noRingUse, table.denied.io_uring_enter!)).toBe(ALLOW);
    expect(call(noRingUse, table.denied.io_uring_setup!)).toBe(EPERM);
  });
});

describe("the seccomp filter on x64", () => {
  it("kills x32 syscalls", () => {
    const full = buildSeccompFilter("x64");
    expect(run(full, { nr: 0x40000000 + 41, arch: ARCHES.x64.audit })).toBe(KILL);
  });
});
