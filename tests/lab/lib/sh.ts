// Synchronous shell helpers for lab administration (never used by the agent itself).
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";

export interface ShResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function trySh(cmd: string, args: readonly string[], input?: string): ShResult {
  const r = spawnSync(cmd, args, { encoding: "utf8", input, stdio: ["pipe", "pipe", "pipe"] });
  return {
    code: r.status ?? (r.error ? 127 : 1),
    stdout: r.stdout ?? "",
    stderr: r.stderr ?? String(r.error ?? ""),
  };
}

export function sh(cmd: string, args: readonly string[], input?: string): string {
  const r = trySh(cmd, args, input);
  if (r.code !== 0) throw new Error(`lab: ${cmd} ${args.join(" ")}: exit ${r.code}: ${r.stderr.trim()}`);
  return r.stdout;
}

export function ip(args: readonly string[]): string {
  return sh("ip", args);
}

export function tryIp(args: readonly string[]): ShResult {
  return trySh("ip", args);
}

export function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Pids of every process attached to a network namespace (empty when it does not exist). */
export function netnsPids(ns: string): number[] {
  const r = tryIp(["netns", "pids", ns]);
  if (r.code !== 0) return [];
  return r.stdout
    .split("\n")
    .map((s) => Number(s.trim()))
    .filter((n) => Number.isInteger(n) && n > 0);
}

export function killPids(pids: readonly number[], signal: NodeJS.Signals = "SIGKILL"): void {
  for (const p of pids) {
    try {
      process.kill(p, signal);
    } catch {
      /* gone */
    }
  }
}

/** True while the process exists and is not a zombie (exited, waiting to be reaped). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}
