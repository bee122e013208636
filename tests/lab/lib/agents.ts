// vmha-agent processes of the lab: one per host, started inside all of the host's namespaces
// (so a power-off kills it with everything else), logging JSON to .run/hosts/<h>/agent.log.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { etcdEndpoints, hostDir, hostIp, METRICS_PORT, NODE, ROOT } from "./config";
import { hostExecArgs } from "./host";
import { alive, killPids, sleepMs, trySh } from "./sh";
import { LAB_BIN } from "./spec";
import type { LabState } from "./state";
import { watchdogFifo } from "./watchdog-client";

/**
 * The agent program. VMHA_LAB_AGENT_JS points the lab at another build (e.g. a `git archive` of a
 * given commit, built elsewhere) while the working tree's runtime is half-way through a change.
 */
export const AGENT_JS =
  process.env["VMHA_LAB_AGENT_JS"] ?? path.join(ROOT, "dist", "provider", "runtime", "cli", "vmha-agent.js");

function pidFile(h: string): string {
  return path.join(hostDir(h), "agent.pid");
}

export function agentArgs(h: string, s: LabState): string[] {
  return [
    NODE,
    // A 1 MiB young generation instead of 16: ~15 MB less RSS for a process that allocates little.
    "--max-semi-space-size=1",
    AGENT_JS,
    "--host",
    h,
    "--cluster",
    s.cluster,
    "--etcd",
    etcdEndpoints(s.etcd).join(","),
    "--libvirt",
    "qemu:///system",
    "--metrics",
    `${hostIp(h)}:${METRICS_PORT}`,
    // /run is the host's own tmpfs: the lease id survives an agent restart, not a power cycle.
    "--state-dir",
    "/run/vmha",
    "--graceful-stop",
    "2000",
    // The lab watchdog's FIFO (tests/lab/watchdog.ts), where a real host has /dev/watchdog.
    // A FIFO does not say its timeout (/sys/class/watchdog does, for a real device): declare it.
    ...(s.watchdog?.[h] !== undefined
      ? ["--watchdog", watchdogFifo(h), "--watchdog-timeout", String(s.watchdog[h])]
      : []),
  ];
}

/** Starts the agent of `h`; returns the pid of the agent process (outside view). */
export function startAgent(h: string, s: LabState): number {
  if (!fs.existsSync(AGENT_JS)) throw new Error(`lab: ${AGENT_JS} missing: run \`npm run build\` first`);
  const log = fs.openSync(path.join(hostDir(h), "agent.log"), "a");
  const child = spawn("nsenter", hostExecArgs(h, agentArgs(h, s)), {
    detached: true,
    stdio: ["ignore", log, log],
    // The lab's fence agent is found by name, as fence_ipmilan would be in /usr/sbin.
    env: {
      ...process.env,
      PATH: `${LAB_BIN}:${process.env["PATH"] ?? "/usr/sbin:/usr/bin:/sbin:/bin"}`,
      ...s.agentEnv,
    },
  });
  child.unref();
  fs.closeSync(log);
  const nsenterPid = child.pid;
  if (nsenterPid === undefined) throw new Error(`lab: ${h}: could not start the agent`);
  const deadline = Date.now() + 5000;
  for (;;) {
    const r = trySh("pgrep", ["-P", String(nsenterPid)]);
    const pid = Number(r.stdout.trim().split("\n")[0]);
    if (r.code === 0 && pid > 0) {
      fs.writeFileSync(pidFile(h), String(pid));
      return pid;
    }
    if (Date.now() > deadline) throw new Error(`lab: ${h}: agent did not appear under nsenter ${nsenterPid}`);
    sleepMs(10);
  }
}

export function agentPid(h: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(pidFile(h), "utf8"));
    return pid > 0 && alive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Stops the agent (SIGTERM: resources keep running, lease kept) or kills it (SIGKILL). */
export function stopAgent(h: string, signal: "SIGTERM" | "SIGKILL" = "SIGTERM", timeoutMs = 5000): void {
  const pid = agentPid(h);
  if (pid === undefined) return;
  killPids([pid], signal);
  const deadline = Date.now() + timeoutMs;
  while (alive(pid)) {
    if (Date.now() > deadline) {
      killPids([pid], "SIGKILL");
      break;
    }
    sleepMs(10);
  }
}
