// Starts govmomi's simulator for one test file: dassim (vcsim that keeps the whole dasConfig) by
// default, or stock vcsim; on a free loopback port, with login enforced; stopped after, even on
// failure (and killed if the test process exits first).
import { type ChildProcess, spawn } from "node:child_process";
import * as path from "node:path";
import { ROOT } from "../engine";

const { vcsimDir } = require(path.join(ROOT, "scripts", "setup", "vcsim.js")) as {
  vcsimDir(root: string): string;
};

export interface VcsimOptions {
  flavor?: "dassim" | "vcsim";
  user?: string;
  password?: string;
  /** Clusters per datacenter, hosts per cluster, standalone hosts, VMs per resource pool, datastores. */
  clusters?: number;
  hostsPerCluster?: number;
  standaloneHosts?: number;
  vms?: number;
  datastores?: number;
  /** dassim -modify-strict: "an unset property has no effect" taken literally (see tools/vcsim/dassim). */
  strictModify?: boolean;
}

export interface Vcsim {
  /** host:port */
  server: string;
  user: string;
  password: string;
  /** Stack config for vmha's vSphere resources. */
  config: Record<string, string>;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.on("exit", () => {
  for (const p of running) p.kill("SIGKILL");
});

export function startVcsim(o: VcsimOptions = {}): Promise<Vcsim> {
  const user = o.user ?? "vmha-admin";
  const password = o.password ?? "s3cr3t-vc-password";
  const bin = path.join(vcsimDir(ROOT), o.flavor ?? "dassim");
  const args = [
    "-l",
    "127.0.0.1:0",
    "-username",
    user,
    "-password",
    password,
    "-cluster",
    String(o.clusters ?? 1),
    "-host",
    String(o.hostsPerCluster ?? 2),
    "-standalone-host",
    String(o.standaloneHosts ?? 2),
    "-vm",
    String(o.vms ?? 2),
    "-ds",
    String(o.datastores ?? 2),
    ...(o.strictModify ? ["-modify-strict"] : []),
  ];
  const child = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const t = setTimeout(() => child.kill("SIGKILL"), 5000);
      child.once("exit", () => {
        clearTimeout(t);
        running.delete(child);
        resolve();
      });
      child.kill("SIGTERM");
    });
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    child.stderr.on("data", (d: Buffer) => {
      err = (err + d.toString()).slice(-4000);
    });
    child.on("error", reject);
    child.on("exit", (code) => reject(new Error(`${bin} exited with ${code} before listening:\n${err}`)));
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /GOVC_URL=(\S+)/.exec(out);
      if (!m?.[1]) return;
      const url = new URL(m[1]);
      resolve({
        server: url.host,
        user,
        password,
        config: {
          "vmha:vsphereServer": url.host,
          "vmha:vsphereUser": user,
          "vmha:vspherePassword": password,
          "vmha:vsphereAllowUnverifiedSsl": "true",
        },
        stop,
      });
    });
  });
}
