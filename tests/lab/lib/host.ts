// A lab host: a network namespace plus private mount/UTS/PID namespaces whose PID 1 is tini,
// running its own libvirtd (own config, socket, run, cache and log folders). Powering it off
// takes its link down first, then kills PID 1, which kills every process of the host at once.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { hostDir, hostIp, LIBVIRT_TCP_PORT, libvirtUri, nsOf, ROOT, WARM_CACHE } from "./config";
import { attach, linkUp, setLink } from "./net";
import { alive, killPids, netnsPids, sh, sleepMs, trySh } from "./sh";

const LIBVIRTD_CONF = (
  ip: string,
) => `# lab host libvirtd: unix socket in its own run folder, TCP for migration on the lab subnet
listen_tls = 0
listen_tcp = 1
listen_addr = "${ip}"
tcp_port = "${LIBVIRT_TCP_PORT}"
auth_tcp = "none"
auth_unix_rw = "none"
unix_sock_group = "root"
unix_sock_rw_perms = "0770"
log_outputs = "3:file:/var/log/libvirt/libvirtd.log"
`;

const QEMU_CONF = `# lab host QEMU driver: root, no security driver (namespaces, no SELinux/AppArmor labels)
user = "root"
group = "root"
security_driver = "none"
stdio_handler = "file"
remember_owner = 0
`;

export function prepareHostDirs(h: string): void {
  const d = hostDir(h);
  // /run is tmpfs on a real machine: a powered-off host comes back without runtime state.
  fs.rmSync(path.join(d, "run"), { recursive: true, force: true });
  for (const sub of ["run", "etc", "lib", "cache", "log"])
    fs.mkdirSync(path.join(d, sub), { recursive: true });
  fs.writeFileSync(path.join(d, "etc", "libvirtd.conf"), LIBVIRTD_CONF(hostIp(h)));
  fs.writeFileSync(path.join(d, "etc", "qemu.conf"), QEMU_CONF);
  fs.writeFileSync(path.join(d, "etc", "libvirt.conf"), "");
  const warm = path.join(WARM_CACHE, "qemu");
  const cache = path.join(d, "cache", "qemu");
  if (fs.existsSync(warm) && !fs.existsSync(cache)) fs.cpSync(warm, cache, { recursive: true });
}

export function ensureQemuUser(): void {
  if (trySh("id", ["libvirt-qemu"]).code !== 0)
    trySh("useradd", ["-r", "-s", "/usr/sbin/nologin", "libvirt-qemu"]);
}

/** Starts the host's PID 1 (tini) and libvirtd; returns the outside pid of tini. */
export function bootHost(h: string): number {
  prepareHostDirs(h);
  const log = fs.openSync(path.join(hostDir(h), "host.log"), "a");
  const child = spawn(
    "ip",
    [
      "netns",
      "exec",
      nsOf(h),
      "unshare",
      "-m",
      "-u",
      "-p",
      "-f",
      "--mount-proc",
      "--propagation",
      "private",
      "tini",
      "-s",
      "--",
      "/bin/sh",
      path.join(ROOT, "tests", "lab", "host-init.sh"),
      hostDir(h),
      h,
    ],
    { detached: true, stdio: ["ignore", log, log] },
  );
  child.unref();
  fs.closeSync(log);
  const unsharePid = child.pid;
  if (unsharePid === undefined) throw new Error(`lab: ${h}: could not start unshare`);
  const deadline = Date.now() + 5000;
  for (;;) {
    const r = trySh("pgrep", ["-P", String(unsharePid)]);
    const pid = Number(r.stdout.trim().split("\n")[0]);
    if (r.code === 0 && pid > 0) {
      fs.writeFileSync(path.join(hostDir(h), "init.pid"), String(pid));
      return pid;
    }
    if (Date.now() > deadline) throw new Error(`lab: ${h}: tini did not appear under unshare ${unsharePid}`);
    sleepMs(10);
  }
}

export function waitLibvirt(h: string, timeoutMs: number): number {
  const t0 = Date.now();
  for (;;) {
    if (trySh("virsh", ["-q", "-c", libvirtUri(h), "version"]).code === 0) return Date.now() - t0;
    if (Date.now() - t0 > timeoutMs) {
      const tail = fs.readFileSync(path.join(hostDir(h), "host.log"), "utf8").slice(-400);
      throw new Error(`lab: ${h}: libvirtd not answering after ${timeoutMs} ms; host.log: ${tail}`);
    }
    sleepMs(25);
  }
}

/** Makes libvirtd probe QEMU now (the first domcapabilities) and saves the cache for other hosts. */
export function warmCache(h: string): number {
  const t0 = Date.now();
  sh("virsh", ["-q", "-c", libvirtUri(h), "domcapabilities", "--virttype", "kvm"]);
  const cache = path.join(hostDir(h), "cache", "qemu");
  if (!fs.existsSync(path.join(WARM_CACHE, "qemu")) && fs.existsSync(cache)) {
    fs.mkdirSync(WARM_CACHE, { recursive: true });
    fs.cpSync(cache, path.join(WARM_CACHE, "qemu"), { recursive: true });
  }
  return Date.now() - t0;
}

export function initPid(h: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(path.join(hostDir(h), "init.pid"), "utf8"));
    return pid > 0 && alive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

export type PowerState = "on" | "off";

/** The truth: a host is on when its PID 1 lives and its link is up. */
export function powerState(h: string): PowerState {
  return initPid(h) !== undefined && linkUp(h) ? "on" : "off";
}

/** The instant of a power loss: link down first (no FIN or RST leaves), then PID 1 killed. */
function cutPower(h: string): number | undefined {
  try {
    setLink(h, false);
  } catch {
    /* namespace gone: already off */
  }
  const pid = initPid(h);
  if (pid !== undefined) killPids([pid]);
  return pid;
}

/**
 * powerOff without blocking the caller's event loop while the host's processes die (the lab
 * watchdog serves several hosts from one process).
 */
export async function powerOffAsync(h: string): Promise<void> {
  const pid = cutPower(h);
  const deadline = Date.now() + 3000;
  for (;;) {
    const left = netnsPids(nsOf(h)).filter((p) => p !== process.pid);
    if (left.length === 0 && (pid === undefined || !alive(pid))) break;
    killPids(left);
    if (Date.now() > deadline) throw new Error(`lab: ${h}: processes survive power-off: ${left.join(" ")}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  fs.rmSync(path.join(hostDir(h), "init.pid"), { force: true });
}

/** Power loss: link down first (no FIN or RST leaves), then every process of the host dies. */
export function powerOff(h: string): void {
  const pid = cutPower(h);
  // Anything that entered the network namespace without the PID namespace (none by design).
  const deadline = Date.now() + 3000;
  for (;;) {
    const left = netnsPids(nsOf(h)).filter((p) => p !== process.pid);
    if (left.length === 0 && (pid === undefined || !alive(pid))) break;
    killPids(left);
    if (Date.now() > deadline) throw new Error(`lab: ${h}: processes survive power-off: ${left.join(" ")}`);
    sleepMs(10);
  }
  try {
    fs.rmSync(path.join(hostDir(h), "init.pid"), { force: true });
  } catch {
    /* ignore */
  }
}

/** Creates the namespace (if needed), boots the host and waits for libvirtd. */
export function powerOn(h: string, timeoutMs = 20000): { bootMs: number } {
  const t0 = Date.now();
  attach(h, hostIp(h));
  bootHost(h);
  waitLibvirt(h, timeoutMs);
  return { bootMs: Date.now() - t0 };
}

/** Runs a command inside all of a host's namespaces (its PID namespace included). */
export function hostExecArgs(h: string, argv: readonly string[]): string[] {
  const pid = initPid(h);
  if (pid === undefined) throw new Error(`lab: ${h} is powered off`);
  return ["-t", String(pid), "-a", "--", ...argv];
}

/** Pid (outside view) of the host's libvirtd, if it runs. */
export function libvirtdPid(h: string): number | undefined {
  for (const p of netnsPids(nsOf(h))) {
    try {
      if (fs.readFileSync(`/proc/${p}/comm`, "utf8").trim() === "libvirtd" && alive(p)) return p;
    } catch {
      /* gone */
    }
  }
  return undefined;
}

/**
 * Kills the host's libvirtd (SIGKILL; its VMs' QEMU processes keep running) and keeps it down
 * until startLibvirtd(): host-init.sh restarts it only once the hold file is gone.
 */
export function killLibvirtd(h: string): number | undefined {
  fs.writeFileSync(path.join(hostDir(h), "libvirtd.hold"), String(Date.now()));
  const pid = libvirtdPid(h);
  if (pid !== undefined) killPids([pid]);
  return pid;
}

/** Lets host-init.sh start libvirtd again; waits until it answers. */
export function startLibvirtd(h: string, timeoutMs = 20000): number {
  fs.rmSync(path.join(hostDir(h), "libvirtd.hold"), { force: true });
  return waitLibvirt(h, timeoutMs);
}
