// Names, addresses and folders of the lab. One subnet on the lab's own bridge, which lives in
// its own network namespace (vmha-sw); the root namespace joins it through one veth (mgmt) so
// tests and the `vmha` CLI can reach etcd and the agents' /metrics. Nothing else is routed.
import * as fs from "node:fs";
import * as path from "node:path";

function findRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (fs.existsSync(path.join(dir, "package.json")) && fs.existsSync(path.join(dir, "provider")))
      return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`lab: no project root above ${start}`);
    dir = up;
  }
}

export const ROOT = findRoot(__dirname);
/** The project's pinned Node (node_modules/.bin/node) for the lab's daemons, else this one. */
export const NODE = ((): string => {
  const pinned = path.join(ROOT, "node_modules", "node", "bin", "node");
  return fs.existsSync(pinned) ? pinned : process.execPath;
})();
export const RUN_DIR = process.env["VMHA_LAB_RUN"] ?? path.join(ROOT, "tests", "lab", ".run");
/** Warm QEMU capabilities cache, kept across `lab down` so a new host's libvirtd starts in ~0.2 s. */
export const WARM_CACHE = path.join(RUN_DIR, "warm-qemu-cache");

export const SUBNET = "10.77.0";
export const PREFIX = 24;
export const MGMT_IP = `${SUBNET}.1`;
export const SWITCH_NS = "vmha-sw";
export const MGMT_IF = "vmha-mgmt";
export const LIBVIRT_TCP_PORT = 16509;
export const METRICS_PORT = 9464;
export const ETCD_CLIENT_PORT = 2379;
export const ETCD_PEER_PORT = 2380;

export function hostName(i: number): string {
  return `h${i}`;
}
export function hostIndex(h: string): number {
  const m = /^h(\d+)$/.exec(h);
  if (!m) throw new Error(`lab: "${h}" is not a lab host name (h1, h2, ...)`);
  return Number(m[1]);
}
export function hostIp(h: string): string {
  return `${SUBNET}.${10 + hostIndex(h)}`;
}
export function etcdName(k: number): string {
  return `e${k}`;
}
export function etcdIp(e: string): string {
  const m = /^e(\d+)$/.exec(e);
  if (!m) throw new Error(`lab: "${e}" is not an etcd member name (e1, e2, e3)`);
  return `${SUBNET}.${200 + Number(m[1])}`;
}
export function nsOf(name: string): string {
  return `vmha-${name}`;
}
export function hostDir(h: string): string {
  return path.join(RUN_DIR, "hosts", h);
}
/** libvirt URI of a host, usable from the root namespace (the socket is on the shared file system). */
export function libvirtUri(h: string): string {
  return `qemu+unix:///system?socket=${path.join(hostDir(h), "run", "libvirt-sock")}`;
}
export function etcdEndpoints(members: readonly string[]): string[] {
  return members.map((e) => `http://${etcdIp(e)}:${ETCD_CLIENT_PORT}`);
}
/** The lab BMC listens on the management address, reachable from the root and every lab namespace. */
export const BMC_PORT = 6230;
export const BMC_PID_FILE = path.join(RUN_DIR, "bmc.pid");
export const STATE_FILE = path.join(RUN_DIR, "state.json");
