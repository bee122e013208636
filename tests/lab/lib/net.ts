// The lab network: a bridge in its own namespace, one veth per lab namespace (hosts, etcd
// members) and one to the root namespace (mgmt). Partitions are silent: blackhole routes drop
// packets without any reset or ICMP, as a cut cable would.
import { MGMT_IF, MGMT_IP, PREFIX, SWITCH_NS } from "./config";
import { ip, killPids, netnsPids, tryIp } from "./sh";

export function listLabNamespaces(): string[] {
  const r = tryIp(["netns", "list"]);
  return r.stdout
    .split("\n")
    .map((l) => l.split(" ")[0] ?? "")
    .filter((n) => n.startsWith("vmha-"));
}

export function createSwitch(): void {
  if (listLabNamespaces().includes(SWITCH_NS)) return;
  ip(["netns", "add", SWITCH_NS]);
  ip(["-n", SWITCH_NS, "link", "set", "lo", "up"]);
  ip(["-n", SWITCH_NS, "link", "add", "br0", "type", "bridge"]);
  ip(["-n", SWITCH_NS, "link", "set", "br0", "type", "bridge", "forward_delay", "0", "stp_state", "0"]);
  ip(["-n", SWITCH_NS, "link", "set", "br0", "up"]);
  // root namespace <-> switch: only the lab subnet, on an interface the lab owns.
  tryIp(["link", "del", MGMT_IF]);
  ip(["link", "add", MGMT_IF, "type", "veth", "peer", "name", "mgmt", "netns", SWITCH_NS]);
  ip(["-n", SWITCH_NS, "link", "set", "mgmt", "master", "br0", "up"]);
  ip(["addr", "add", `${MGMT_IP}/${PREFIX}`, "dev", MGMT_IF]);
  ip(["link", "set", MGMT_IF, "up"]);
}

/** A namespace `vmha-<name>` with eth0 on the bridge at `addr`. */
export function attach(name: string, addr: string): void {
  const ns = `vmha-${name}`;
  if (!listLabNamespaces().includes(ns)) ip(["netns", "add", ns]);
  tryIp(["-n", SWITCH_NS, "link", "del", name]);
  ip(["-n", SWITCH_NS, "link", "add", name, "type", "veth", "peer", "name", "eth0", "netns", ns]);
  ip(["-n", SWITCH_NS, "link", "set", name, "master", "br0", "up"]);
  ip(["-n", ns, "link", "set", "lo", "up"]);
  tryIp(["-n", ns, "addr", "flush", "dev", "eth0"]);
  ip(["-n", ns, "addr", "add", `${addr}/${PREFIX}`, "dev", "eth0"]);
  ip(["-n", ns, "link", "set", "eth0", "up"]);
}

export function setLink(name: string, up: boolean): void {
  ip(["-n", `vmha-${name}`, "link", "set", "eth0", up ? "up" : "down"]);
}

export function linkUp(name: string): boolean {
  const r = tryIp(["-n", `vmha-${name}`, "-o", "link", "show", "eth0"]);
  return r.code === 0 && /[<,]UP[,>]/.test(r.stdout);
}

/** Silently drop traffic between `name` and each of `peers` (both directions). */
export function blackhole(
  name: string,
  nameIp: string,
  peers: ReadonlyArray<{ name: string; ip: string }>,
): void {
  for (const p of peers) {
    tryIp(["-n", `vmha-${name}`, "route", "replace", "blackhole", `${p.ip}/32`]);
    tryIp(["-n", `vmha-${p.name}`, "route", "replace", "blackhole", `${nameIp}/32`]);
  }
}

export function unblackhole(
  name: string,
  nameIp: string,
  peers: ReadonlyArray<{ name: string; ip: string }>,
): void {
  for (const p of peers) {
    tryIp(["-n", `vmha-${name}`, "route", "del", "blackhole", `${p.ip}/32`]);
    tryIp(["-n", `vmha-${p.name}`, "route", "del", "blackhole", `${nameIp}/32`]);
  }
}

export function blackholes(name: string): string[] {
  const r = tryIp(["-n", `vmha-${name}`, "route", "show", "type", "blackhole"]);
  return r.stdout
    .split("\n")
    .map((l) => l.trim().split(" ")[1] ?? "")
    .filter(Boolean);
}

/** Kill everything in every lab namespace and delete them, plus the mgmt link. Idempotent. */
export function destroyAll(): void {
  const all = listLabNamespaces();
  for (const ns of all) killPids(netnsPids(ns));
  for (const ns of all) tryIp(["netns", "del", ns]);
  tryIp(["link", "del", MGMT_IF]);
}
