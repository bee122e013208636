// A real 3-member etcd cluster on loopback (distinct free ports, temp data dirs), tuned like the
// lab (--heartbeat-interval 25 --election-timeout 250), for heartbeat tests that need real
// leader elections: stop (SIGSTOP: unreachable, like a power loss) or kill the leader.
// (Named fake-etcd-* only because of file ownership; the members are real etcd processes.)
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { etcdBinary } from "./etcd-bin";
import { freePort } from "./ports";

export interface RealMember {
  name: string;
  endpoint: string;
  proc: ChildProcess;
}

export interface RealEtcdCluster {
  members: RealMember[];
  endpoints: string[];
  /** The member that is leader now (asked of the given members), or undefined. */
  leader(among?: RealMember[]): RealMember | undefined;
  stop(): Promise<void>;
}

export async function startEtcdCluster(n = 3): Promise<RealEtcdCluster> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vmha-it-etcd3-"));
  const ports = [];
  for (let i = 0; i < n; i++) ports.push({ client: await freePort(), peer: await freePort() });
  const initial = ports.map((p, i) => `m${i}=http://127.0.0.1:${p.peer}`).join(",");
  const members: RealMember[] = ports.map((p, i) => {
    const endpoint = `http://127.0.0.1:${p.client}`;
    const proc = spawn(
      etcdBinary(),
      [
        "--name",
        `m${i}`,
        "--data-dir",
        path.join(dir, `m${i}`),
        "--listen-client-urls",
        endpoint,
        "--advertise-client-urls",
        endpoint,
        "--listen-peer-urls",
        `http://127.0.0.1:${p.peer}`,
        "--initial-advertise-peer-urls",
        `http://127.0.0.1:${p.peer}`,
        "--initial-cluster",
        initial,
        "--initial-cluster-state",
        "new",
        "--initial-cluster-token",
        path.basename(dir),
        "--heartbeat-interval",
        "25",
        "--election-timeout",
        "250",
        "--pre-vote",
        "--logger",
        "zap",
        "--log-outputs",
        path.join(dir, `m${i}.log`),
      ],
      { stdio: "ignore" },
    );
    return { name: `m${i}`, endpoint, proc };
  });
  const endpoints = members.map((m) => m.endpoint);
  const leader = (among = members): RealMember | undefined => {
    const r = spawnSync(
      "etcdctl",
      [
        "--endpoints",
        among.map((m) => m.endpoint).join(","),
        "--dial-timeout",
        "300ms",
        "--command-timeout",
        "500ms",
      ].concat(["endpoint", "status", "-w", "json"]),
      { encoding: "utf8" },
    );
    try {
      const rows = JSON.parse(r.stdout) as Array<{
        Endpoint: string;
        Status: { header: { member_id: number }; leader: number };
      }>;
      const row = rows.find((x) => x.Status.header.member_id === x.Status.leader);
      return row ? members.find((m) => m.endpoint === row.Endpoint) : undefined;
    } catch {
      return undefined;
    }
  };
  const stop = async () => {
    await Promise.all(
      members.map(
        (m) =>
          new Promise<void>((res) => {
            const p = m.proc;
            if (p.exitCode !== null || p.signalCode !== null) return res();
            p.once("exit", () => res());
            p.kill("SIGCONT");
            p.kill("SIGKILL");
          }),
      ),
    );
    fs.rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 30000;
  for (;;) {
    const r = spawnSync(
      "etcdctl",
      ["--endpoints", endpoints.join(","), "--dial-timeout", "300ms", "endpoint", "health"],
      {
        encoding: "utf8",
      },
    );
    if (r.status === 0 && leader()) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`test etcd cluster not healthy: ${r.stderr}`);
    }
    await new Promise((res) => setTimeout(res, 100));
  }
  return { members, endpoints, leader, stop };
}
