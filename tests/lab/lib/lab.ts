// The lab as an API (used by the lab CLI, the tests and the failover benchmark).
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { Etcd3 } from "etcd3";
import { clusterPrefix } from "../../../provider/runtime/store/keys";
import { agentPid, startAgent, stopAgent } from "./agents";
import { askBmc } from "./bmc-client";
import {
  BMC_PID_FILE,
  etcdEndpoints,
  etcdIp,
  etcdName,
  hostDir,
  hostIp,
  hostName,
  libvirtUri,
  NODE,
  ROOT,
  RUN_DIR,
  WARM_CACHE,
} from "./config";
import { kvmUsable } from "./domain";
import { FAST_ETCD, startMember, stopMember, waitHealthy, wipeEtcd } from "./etcd";
import { bootHost, ensureQemuUser, powerOff, powerState, waitLibvirt, warmCache } from "./host";
import {
  attach,
  blackhole,
  blackholes,
  createSwitch,
  destroyAll,
  listLabNamespaces,
  unblackhole,
} from "./net";
import { POWER_LOG } from "./power-log";
import { alive, killPids, trySh } from "./sh";
import { FENCE_AGENT, FENCE_AGENT_PATH, type LabSpecOptions, labSpec } from "./spec";
import { type LabState, readState, writeState } from "./state";
import {
  DEFAULT_WATCHDOG_TIMEOUT_MS,
  startWatchdog,
  stopWatchdog,
  WATCHDOG_EVENTS,
  WATCHDOG_LOG,
} from "./watchdog-client";

export interface UpOptions {
  hosts?: number;
  etcd?: number;
  agents?: boolean;
  /** Write a spec with this many VMs (omit to write no spec). */
  vms?: number;
  spec?: Omit<LabSpecOptions, "vms">;
  cluster?: string;
  agentEnv?: Record<string, string>;
  /**
   * Lab watchdogs (tests/lab/watchdog.ts): every agent of `hosts` (default: all) gets
   * `--watchdog <fifo>`; timeout per host in ms (default 2000, or one number for all).
   */
  watchdog?: { hosts?: string[]; timeoutMs?: number | Record<string, number> };
  log?: (line: string) => void;
}

export interface UpTimings {
  etcdHealthyMs: number;
  libvirtdBootMs: Record<string, number>;
  warmCacheMs?: number;
  totalMs: number;
}

const BMC_JS = path.join(ROOT, "dist", "tests", "lab", "bmc.js");
function startBmc(): void {
  const log = fs.openSync(path.join(RUN_DIR, "bmc.log"), "a");
  const child = spawn(NODE, [BMC_JS], { detached: true, stdio: ["ignore", log, log] });
  child.unref();
  fs.closeSync(log);
  fs.writeFileSync(BMC_PID_FILE, String(child.pid));
}

async function waitBmc(): Promise<void> {
  const deadline = Date.now() + 5000;
  for (;;) {
    try {
      if ((await askBmc("ping", 500)) === "pong") return;
    } catch (err) {
      if (Date.now() > deadline)
        throw new Error(`lab: BMC not answering (${String(err)}); see ${path.join(RUN_DIR, "bmc.log")}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

function stopBmc(): void {
  try {
    const pid = Number(fs.readFileSync(BMC_PID_FILE, "utf8"));
    if (pid > 0 && alive(pid)) killPids([pid]);
  } catch {
    /* not running */
  }
  fs.rmSync(BMC_PID_FILE, { force: true });
}

/** Like any fence-agents program, the lab's is installed on the PATH (/usr/local/sbin). */
const FENCE_LINK = path.join("/usr/local/sbin", FENCE_AGENT);

function installFenceAgent(): void {
  try {
    if (fs.readlinkSync(FENCE_LINK) === FENCE_AGENT_PATH) return;
    fs.rmSync(FENCE_LINK, { force: true });
  } catch {
    /* absent */
  }
  fs.mkdirSync(path.dirname(FENCE_LINK), { recursive: true });
  fs.symlinkSync(FENCE_AGENT_PATH, FENCE_LINK);
}

function removeFenceAgent(): void {
  try {
    if (fs.readlinkSync(FENCE_LINK) === FENCE_AGENT_PATH) fs.rmSync(FENCE_LINK, { force: true });
  } catch {
    /* absent */
  }
}

export function etcdClient(s: LabState): Etcd3 {
  return new Etcd3({ hosts: etcdEndpoints(s.etcd), dialTimeout: 1000 });
}

export async function writeSpec(s: LabState, o: LabSpecOptions): Promise<void> {
  const c = etcdClient(s);
  try {
    await c.put(`${clusterPrefix(s.cluster)}spec`).value(JSON.stringify(labSpec(s, o)));
  } finally {
    c.close();
  }
}

async function waitLeases(s: LabState, timeoutMs: number): Promise<void> {
  const c = etcdClient(s);
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      const keys = await c
        .getAll()
        .prefix(`${clusterPrefix(s.cluster)}leases/`)
        .keys()
        .catch(() => [] as string[]);
      if (s.hosts.every((h) => keys.some((k) => k.endsWith(`/leases/${h}`)))) return;
      if (Date.now() > deadline)
        throw new Error(`lab: agents of ${s.hosts.join(",")} hold no lease after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    c.close();
  }
}

export async function up(o: UpOptions = {}): Promise<{ state: LabState; timings: UpTimings }> {
  const log = o.log ?? (() => {});
  const t0 = Date.now();
  down();
  ensureQemuUser();
  installFenceAgent();
  fs.rmSync(path.join(RUN_DIR, "hosts"), { recursive: true, force: true });
  fs.mkdirSync(RUN_DIR, { recursive: true });
  for (const f of [POWER_LOG, WATCHDOG_EVENTS, WATCHDOG_LOG]) fs.rmSync(f, { force: true });
  const kvm = kvmUsable();
  if (!kvm) log("lab: /dev/kvm is missing or unusable here: VMs run under TCG (type='qemu'), slower");
  const s: LabState = {
    cluster: o.cluster ?? "lab",
    hosts: Array.from({ length: o.hosts ?? 3 }, (_, i) => hostName(i + 1)),
    etcd: Array.from({ length: o.etcd ?? 1 }, (_, i) => etcdName(i + 1)),
    kvm,
    agents: o.agents ?? true,
    ...(o.agentEnv ? { agentEnv: o.agentEnv } : {}),
  };
  if (o.watchdog) {
    const t = o.watchdog.timeoutMs;
    s.watchdog = Object.fromEntries(
      (o.watchdog.hosts ?? s.hosts).map((h) => [
        h,
        typeof t === "number" ? t : (t?.[h] ?? DEFAULT_WATCHDOG_TIMEOUT_MS),
      ]),
    );
  }
  writeState(s);
  createSwitch();
  wipeEtcd();
  for (const e of s.etcd) startMember(e, s.etcd, FAST_ETCD);
  const etcdHealthyMs = waitHealthy(s.etcd, 20000);
  log(
    `lab: etcd ${s.etcd.join(",")} healthy after ${etcdHealthyMs} ms (heartbeat ${FAST_ETCD.heartbeatMs} ms, election ${FAST_ETCD.electionMs} ms)`,
  );
  startBmc();
  await waitBmc();
  // Before any agent: an agent opening its watchdog FIFO blocks until the reader is there.
  if (s.watchdog) {
    await startWatchdog({
      hosts: Object.fromEntries(Object.entries(s.watchdog).map(([h, ms]) => [h, { timeoutMs: ms }])),
    });
    log(
      `lab: watchdog on ${Object.entries(s.watchdog)
        .map(([h, ms]) => `${h} (${ms} ms)`)
        .join(", ")}`,
    );
  }
  const timings: UpTimings = { etcdHealthyMs, libvirtdBootMs: {}, totalMs: 0 };
  const cold = !fs.existsSync(path.join(WARM_CACHE, "qemu"));
  const boot = (hosts: string[]) => {
    const began = Date.now();
    for (const h of hosts) {
      attach(h, hostIp(h));
      bootHost(h);
    }
    for (const h of hosts) {
      waitLibvirt(h, 30000);
      timings.libvirtdBootMs[h] = Date.now() - began;
    }
  };
  if (cold) {
    boot([s.hosts[0]!]);
    timings.warmCacheMs = warmCache(s.hosts[0]!);
    log(`lab: cold QEMU capabilities probe took ${timings.warmCacheMs} ms; cache saved for the other hosts`);
    boot(s.hosts.slice(1));
  } else {
    boot(s.hosts);
  }
  log(
    `lab: libvirtd up on ${s.hosts.join(",")} (${Object.entries(timings.libvirtdBootMs)
      .map(([h, ms]) => `${h} ${ms} ms`)
      .join(", ")})`,
  );
  if (s.agents) for (const h of s.hosts) startAgent(h, s);
  // A spec (ours, or Pulumi's right after `up --no-spec`) goes in once every agent holds its
  // lease, so placement sees all hosts.
  if (s.agents) await waitLeases(s, 20000);
  if (o.vms !== undefined) await writeSpec(s, { ...o.spec, vms: o.vms });
  timings.totalMs = Date.now() - t0;
  return { state: s, timings };
}

/** Tears everything down; safe to run any number of times, also after a crashed run. */
export function down(): void {
  stopBmc();
  stopWatchdog();
  const s = readState();
  for (const e of s?.etcd ?? []) stopMember(e);
  destroyAll();
  // Processes that escaped the namespaces' bookkeeping (should be none): our lab's libvirtd,
  // qemu and etcd, recognised by their command lines pointing into the lab folder.
  // A BMC whose pid file was overwritten (two lab runs at once) would keep answering on the
  // management address with its own state: kill every BMC of this checkout.
  killPids(
    trySh("pgrep", ["-f", BMC_JS])
      .stdout.split("\n")
      .map(Number)
      .filter((p) => p > 0 && p !== process.pid),
  );
  const r = trySh("pgrep", ["-f", RUN_DIR]);
  const strays = r.stdout
    .split("\n")
    .map(Number)
    .filter((p) => p > 0 && p !== process.pid);
  killPids(strays);
  removeFenceAgent();
}

export function kill(h: string): void {
  powerOff(h);
}

/** Powers the host on through the BMC and waits until it booted (libvirtd answers, agent started). */
export async function powerOnHost(h: string): Promise<void> {
  const a = await askBmc(`on ${h}`, 60000);
  if (a !== "ok") throw new Error(`lab: power on ${h}: ${a}`);
  await waitBooted(h);
}

/** The BMC answers "on" once power is applied; the host is usable when its agent runs. */
export async function waitBooted(h: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = readState();
    if (trySh("virsh", ["-q", "-c", libvirtUri(h), "version"]).code === 0 && (!s?.agents || agentPid(h)))
      return;
    if (Date.now() > deadline) throw new Error(`lab: ${h} did not boot within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function setFenceFailing(h: string, failing: boolean): Promise<void> {
  await askBmc(`fail ${h} ${failing ? "on" : "off"}`);
}

/** Cuts `h` off from every etcd member (silently: packets are dropped), not from the other hosts. */
export function partition(h: string, s: LabState): void {
  blackhole(
    h,
    hostIp(h),
    s.etcd.map((e) => ({ name: e, ip: etcdIp(e) })),
  );
}

export function heal(h: string, s: LabState): void {
  unblackhole(
    h,
    hostIp(h),
    s.etcd.map((e) => ({ name: e, ip: etcdIp(e) })),
  );
}

export interface HostStatus {
  host: string;
  power: "on" | "off";
  agentPid?: number;
  domains: string[];
  cutOff: string[];
}

export function domainsOn(h: string): string[] {
  const r = trySh("virsh", ["-q", "-c", libvirtUri(h), "list", "--name"]);
  return r.code === 0
    ? r.stdout
        .split("\n")
        .map((l) => l.trim())
        .filter(Boolean)
        .sort()
    : [];
}

export function status(s: LabState): { hosts: HostStatus[]; namespaces: string[] } {
  const hosts = s.hosts.map((h): HostStatus => {
    const power = powerState(h);
    const pid = agentPid(h);
    return {
      host: h,
      power,
      ...(pid !== undefined ? { agentPid: pid } : {}),
      domains: power === "on" ? domainsOn(h) : [],
      cutOff: blackholes(h),
    };
  });
  return { hosts, namespaces: listLabNamespaces() };
}

export { agentPid, hostDir, startAgent, stopAgent };
