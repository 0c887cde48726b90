// Resident memory of a process as the kernel counts it (VmRSS in /proc/<pid>/status),
// the figure an operator's dashboard and the OOM killer go by.
import { readFile } from "node:fs/promises";

/** RSS in bytes; 0 when the process is gone or /proc is unavailable. */
export async function rssBytes(pid: number): Promise<number> {
  try {
    const status = await readFile(`/proc/${pid}/status`, "utf8");
    const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
    return kb === undefined ? 0 : Number(kb) * 1024;
  } catch {
    return 0;
  }
}

export async function totalRss(pids: readonly (number | null)[]): Promise<number> {
  const sizes = await Promise.all(pids.filter((p): p is number => p !== null).map(rssBytes));
  return sizes.reduce((a, b) => a + b, 0);
}

export const MB = 1024 * 1024;
