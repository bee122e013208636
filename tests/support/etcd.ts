// A throwaway single-member etcd on loopback (free ports, temp data dir), tuned like the lab,
// for integration tests that run concurrently with others.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { etcdBinary } from "./etcd-bin";
import { freePort } from "./ports";

export interface TestEtcd {
  endpoint: string;
  stop(): Promise<void>;
  /** Stops the process but keeps the data (to test an unreachable store, then restart()). */
  pause(): Promise<void>;
  restart(): Promise<void>;
}

/** Our etcd exited before it answered, because another process took one of its ports. */
class PortTaken extends Error {}

export async function startEtcd(): Promise<TestEtcd> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vmha-it-etcd-"));
  const log = path.join(dir, "etcd.log");
  let client = 0;
  let peer = 0;
  let endpoint = "";
  let proc: ChildProcess | undefined;
  const launch = async () => {
    const p = spawn(
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
        log,
      ],
      { stdio: "ignore" },
    );
    proc = p;
    let exited = false;
    p.once("exit", () => {
      exited = true;
    });
    const deadline = Date.now() + 20000;
    for (;;) {
      // A port picked free can be taken by a concurrent test before etcd binds it; then the
      // health check would ask whatever process holds it (a CI run once waited 20 s on another
      // test's etcd that was shutting down). Only our own live process counts.
      if (exited) {
        const tail = fs.existsSync(log) ? fs.readFileSync(log, "utf8").slice(-2000) : "";
        if (/address already in use/.test(tail))
          throw new PortTaken(`etcd: ${endpoint} or its peer port was taken`);
        throw new Error(`test etcd at ${endpoint} exited before it was healthy: ${tail}`);
      }
      const r = spawnSync(
        "etcdctl",
        ["--endpoints", endpoint, "--dial-timeout", "300ms", "endpoint", "health"],
        { encoding: "utf8" },
      );
      if (r.status === 0 && !exited) return;
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
  for (let attempt = 1; ; attempt++) {
    client = await freePort();
    peer = await freePort();
    endpoint = `http://127.0.0.1:${client}`;
    try {
      await launch();
      break;
    } catch (err) {
      if (!(err instanceof PortTaken) || attempt >= 5) throw err;
    }
  }
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
