// A real single-member etcd on free loopback ports, in a temporary directory, for tests that need
// the store but not the lab. Stopped (and its directory removed) by stop(), even after failures.
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { Etcd3 } from "etcd3";

export interface TestEtcd {
  endpoint: string;
  client: Etcd3;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export async function startEtcd(): Promise<TestEtcd> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vmha-etcd-"));
  const [client, peer] = [await freePort(), await freePort()];
  const endpoint = `127.0.0.1:${client}`;
  const log = fs.openSync(path.join(dir, "etcd.log"), "a");
  const child: ChildProcess = spawn(
    "etcd",
    [
      "--data-dir",
      path.join(dir, "data"),
      "--listen-client-urls",
      `http://${endpoint}`,
      "--advertise-client-urls",
      `http://${endpoint}`,
      "--listen-peer-urls",
      `http://127.0.0.1:${peer}`,
      "--initial-advertise-peer-urls",
      `http://127.0.0.1:${peer}`,
      "--initial-cluster",
      `default=http://127.0.0.1:${peer}`,
    ],
    { stdio: ["ignore", log, log] },
  );
  fs.closeSync(log);
  const etcd = new Etcd3({ hosts: `http://${endpoint}` });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    etcd.close();
    if (child.exitCode === null) {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  const t0 = Date.now();
  for (;;) {
    try {
      await etcd.get("health").string();
      return { endpoint, client: etcd, stop };
    } catch (err) {
      if (child.exitCode !== null || Date.now() - t0 > 20_000) {
        const text = fs.existsSync(path.join(dir, "etcd.log"))
          ? fs.readFileSync(path.join(dir, "etcd.log"), "utf8")
          : "";
        await stop();
        throw new Error(`etcd did not become healthy on ${endpoint}: ${String(err)}\n${text.slice(-2000)}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
