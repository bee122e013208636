// etcd members of the lab, each in its own namespace on the lab bridge. Tuned for fast failure
// detection (DESIGN.md): heartbeat 25 ms, election timeout 250 ms, pre-vote on, so a 1 s lease
// TTL is honoured instead of being raised to etcd's minimum.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { etcdBinary } from "../../support/etcd-bin";
import { ETCD_CLIENT_PORT, ETCD_PEER_PORT, etcdIp, nsOf, RUN_DIR } from "./config";
import { attach } from "./net";
import { alive, killPids, netnsPids, sleepMs, trySh } from "./sh";

export interface EtcdTuning {
  heartbeatMs: number;
  electionMs: number;
}
export const FAST_ETCD: EtcdTuning = { heartbeatMs: 25, electionMs: 250 };

function memberDir(e: string): string {
  return path.join(RUN_DIR, "etcd", e);
}

export function etcdArgs(
  e: string,
  members: readonly string[],
  state: "new" | "existing",
  t: EtcdTuning,
): string[] {
  const ip = etcdIp(e);
  const cluster = members.map((m) => `${m}=http://${etcdIp(m)}:${ETCD_PEER_PORT}`).join(",");
  return [
    "--name",
    e,
    "--data-dir",
    path.join(memberDir(e), "data"),
    "--listen-client-urls",
    `http://${ip}:${ETCD_CLIENT_PORT}`,
    "--advertise-client-urls",
    `http://${ip}:${ETCD_CLIENT_PORT}`,
    "--listen-peer-urls",
    `http://${ip}:${ETCD_PEER_PORT}`,
    "--initial-advertise-peer-urls",
    `http://${ip}:${ETCD_PEER_PORT}`,
    "--initial-cluster",
    cluster,
    "--initial-cluster-state",
    state,
    "--initial-cluster-token",
    "vmha-lab",
    "--heartbeat-interval",
    String(t.heartbeatMs),
    "--election-timeout",
    String(t.electionMs),
    "--pre-vote",
    "--logger",
    "zap",
    "--log-outputs",
    path.join(memberDir(e), "etcd.log"),
  ];
}

/** Starts one member in namespace vmha-<e>; returns its pid. */
export function startMember(e: string, members: readonly string[], t: EtcdTuning = FAST_ETCD): number {
  attach(e, etcdIp(e));
  const dir = memberDir(e);
  const fresh = !fs.existsSync(path.join(dir, "data"));
  fs.mkdirSync(dir, { recursive: true });
  const log = fs.openSync(path.join(dir, "stdout.log"), "a");
  const child = spawn(
    "ip",
    ["netns", "exec", nsOf(e), etcdBinary(), ...etcdArgs(e, members, fresh ? "new" : "existing", t)],
    {
      detached: true,
      stdio: ["ignore", log, log],
      env: { ...process.env, ETCD_UNSUPPORTED_ARCH: "" },
    },
  );
  child.unref();
  fs.closeSync(log);
  if (child.pid === undefined) throw new Error(`lab: etcd ${e}: could not start`);
  fs.writeFileSync(path.join(dir, "pid"), String(child.pid));
  return child.pid;
}

export function memberPid(e: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(path.join(memberDir(e), "pid"), "utf8"));
    return pid > 0 && alive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function stopMember(e: string): void {
  const pid = memberPid(e);
  if (pid !== undefined) killPids([pid]);
  killPids(netnsPids(nsOf(e)));
}

/** Waits until `etcdctl endpoint health` succeeds on every member; returns the elapsed ms. */
export function waitHealthy(members: readonly string[], timeoutMs: number): number {
  const t0 = Date.now();
  const eps = members.map((m) => `http://${etcdIp(m)}:${ETCD_CLIENT_PORT}`).join(",");
  for (;;) {
    const r = trySh(
      "etcdctl",
      ["--endpoints", eps, "--dial-timeout", "300ms", "--command-timeout", "500ms", "endpoint", "health"],
      undefined,
    );
    if (r.code === 0) return Date.now() - t0;
    if (Date.now() - t0 > timeoutMs)
      throw new Error(`lab: etcd ${members.join(",")} not healthy after ${timeoutMs} ms: ${r.stderr.trim()}`);
    sleepMs(50);
  }
}

export function wipeEtcd(): void {
  fs.rmSync(path.join(RUN_DIR, "etcd"), { recursive: true, force: true });
}
