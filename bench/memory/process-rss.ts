// Resident memory of a process as the kernel counts it (VmRSS in /proc/<pid>/status),
// the figure an operator's dashboard and the OOM killer go by.
import { readFile } from "node:fs/promises";
import { sandboxProcessStats } from "../../host/metrics/process-stats.ts";

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

/**
 * RSS of a sandbox process and the processes below it: behind the OS sandbox the pid the
 * pool supervises is the launcher (prlimit, bwrap), and the isolates live in the Node
 * process under it.
 */
export async function sandboxRssBytes(pid: number): Promise<number> {
  return (await sandboxProcessStats(pid))?.rssBytes ?? 0;
}


export const MB = 1024 * 1024;
