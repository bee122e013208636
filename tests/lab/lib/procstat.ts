// CPU and memory of a process from /proc (Linux), for the agents' idle figures.
import * as fs from "node:fs";

const CLK_TCK = 100;

export function cpuTicks(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[11]) + Number(fields[12]); // utime + stime
}

export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : 0;
}

/** CPU % (of one core) and RSS of each pid over `ms`. */
export async function sampleIdle(
  pids: readonly number[],
  ms: number,
): Promise<Array<{ pid: number; cpuPct: number; rssMb: number }>> {
  const t0 = performance.now();
  const before = pids.map(cpuTicks);
  await new Promise((r) => setTimeout(r, ms));
  const secs = (performance.now() - t0) / 1000;
  return pids.map((pid, i) => ({
    pid,
    cpuPct: ((cpuTicks(pid) - before[i]!) / CLK_TCK / secs) * 100,
    rssMb: rssMb(pid),
  }));
}
