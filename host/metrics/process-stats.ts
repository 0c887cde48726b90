// Resident memory and CPU time of a sandbox process, read from Linux's /proc: the
// process and its descendants, as the supervised pid may be the OS sandbox's launcher
// (bwrap, setpriv) with the Node child below it. Null where /proc is missing (other
// systems) or the process is gone.
import { readFile } from "node:fs/promises";

export interface ProcessStats {
  rssBytes: number;
  cpuSeconds: number;
}

const PAGE_BYTES = 4096;
/** Linux reports CPU time in clock ticks; USER_HZ is 100 on every mainstream build. */
const TICKS_PER_SECOND = 100;
/** Launchers nest a few levels at most; the cap keeps a scrape bounded whatever runs below. */
const MAX_PROCESSES = 16;

async function own(pid: number): Promise<ProcessStats | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces) start after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    const rssPages = Number(fields[21]);
    if (![utime, stime, rssPages].every(Number.isFinite)) return null;
    return { rssBytes: rssPages * PAGE_BYTES, cpuSeconds: (utime + stime) / TICKS_PER_SECOND };
  } catch {
    return null;
  }
}

async function children(pid: number): Promise<number[]> {
  const text = await readFile(`/proc/${pid}/task/${pid}/children`, "utf8").catch(() => "");
  return text.split(" ").filter((s) => s !== "").map(Number);
}

export async function sandboxProcessStats(pid: number | null): Promise<ProcessStats | null> {
  if (pid === null) return null;
  const root = await own(pid);
  if (root === null) return null;
  const total = { ...root };
  const queue = await children(pid);
  for (let seen = 1; queue.length > 0 && seen < MAX_PROCESSES; seen++) {
    const next = queue.shift() as number;
    const s = await own(next);
    if (s === null) continue;
    total.rssBytes += s.rssBytes;
    total.cpuSeconds += s.cpuSeconds;
    queue.push(...(await children(next)));
  }
  return total;
}
