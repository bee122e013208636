// A throwaway single-member etcd on loopback (free ports, temp data dir), tuned like the lab,
// for integration tests that run concurrently with others.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { etcdBinary } from "./etcd-bin";

export interface TestEtcd {
  endpoint: string;
  stop(): Promise<void>;
  /** Stops the process but keeps the data (to test an unreachable store, then restart()). */
  pause(): Promise<void>;
  restart(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => (a && typeof a === "object" ? resolve(a.port) : reject(new Error("no port"))));
    });
  });
}

export async function startEtcd(): Promise<TestEtcd> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vmha-it-etcd-"));
  const client = await freePort();
  const peer = await freePort();
  const endpoint = `http://127.0.0.1:${client}`;
  let proc: ChildProcess | undefined;
  const launch = async () => {
    proc = spawn(
      etcdBinary(),
      [
        "--data-dir",
        path.join(dir, "data"),
        "--listen-client-urls",
        endpoint,
        "--advertise-client-urls",
        endpoint,
        "--listen-peer-urls",
        `http://127.0.0.1:${peer}`,
        "--initial-advertise-peer-urls",
        `http://127.0.0.1:${peer}`,
        "--initial-cluster",
        `default=http://127.0.0.1:${peer}`,
        "--heartbeat-interval",
        "25",
        "--election-timeout",
        "250",
        "--logger",
        "zap",
        "--log-outputs",
        path.join(dir, "etcd.log"),
      ],
      { stdio: "ignore" },
    );
    const deadline = Date.now() + 20000;
    for (;;) {
      const r = spawnSync(
        "etcdctl",
        ["--endpoints", endpoint, "--dial-timeout", "300ms", "endpoint", "health"],
        { encoding: "utf8" },
      );
      if (r.status === 0) return;
      if (Date.now() > deadline) throw new Error(`test etcd at ${endpoint} not healthy: ${r.stderr}`);
      await new Promise((res) => setTimeout(res, 50));
    }
  };
  const kill = async () => {
    const p = proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return; // already gone (killed: signalCode)
    await new Promise<void>((res) => {
      p.once("exit", () => res());
      p.kill("SIGKILL");
    });
  };
  await launch();
  return {
    endpoint,
    pause: kill,
    restart: launch,
    async stop() {
      await kill();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
