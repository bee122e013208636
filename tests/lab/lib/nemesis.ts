// The lab nemesis: a seeded schedule of faults on a 3-host lab (3-member etcd, >= 6 VMs, one
// host without a fence device and with the lab watchdog), one fault at a time, each followed by
// a bounded recovery wait, judged by the TruthObserver (QEMU processes per host, independent
// of the agents) and the power log (BMC, watchdog). Used by torture.ts, torture.test.ts and
// leader-kills.ts.
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { agentPid, startAgent } from "./agents";
import { askBmc } from "./bmc-client";
import { etcdEndpoints, hostDir, libvirtUri, RUN_DIR } from "./config";
import { memberPid, startMember, stopMember } from "./etcd";
import { initPid, killLibvirtd, powerOffAsync, powerState } from "./host";
import * as lab from "./lab";
import { episodeMs, TruthObserver } from "./observer";
import { appendPowerEvent, POWER_LOG, readPowerEvents } from "./power-log";
import { alive } from "./sh";
import type { LabState } from "./state";
import {
  type FalseIsolation,
  type FaultWindow,
  falseIsolations,
  percentile,
  recoveryJudgeable,
} from "./verdict";
import { events, labStore, settled } from "./wait";

const SETTLED_FOR_MS = 3000;

import { WATCHDOG_LOG } from "./watchdog-client";

/** mulberry32: small, deterministic, good enough for a fault schedule. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function run(cmd: string, args: string[], timeoutMs = 5000): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, encoding: "utf8" }, (err, stdout) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout: stdout ?? "" });
    });
  });
}

/** The raft leader among the members that answer (async: the observer keeps scanning). */
export async function etcdLeader(members: readonly string[]): Promise<string | undefined> {
  const r = await run("etcdctl", [
    "--endpoints",
    etcdEndpoints(members).join(","),
    "--dial-timeout",
    "500ms",
    "--command-timeout",
    "1s",
    "endpoint",
    "status",
    "-w",
    "json",
  ]);
  try {
    const st = JSON.parse(r.stdout) as Array<{
      Endpoint: string;
      Status: { leader: string; header: { member_id: string } };
    }>;
    const lead = st.find((e) => e.Status.leader === e.Status.header.member_id);
    if (!lead) return undefined;
    return members.find((m) => etcdEndpoints([m])[0] === lead.Endpoint);
  } catch {
    return undefined;
  }
}

async function waitLibvirtAsync(h: string, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if ((await run("virsh", ["-q", "-c", libvirtUri(h), "version"], 2000)).code === 0) return true;
    await sleep(50);
  }
  return false;
}

export type FaultKind =
  | "power-off"
  | "partition"
  | "agent-stall"
  | "agent-kill"
  | "etcd-leader-kill"
  | "etcd-leader-stall"
  | "fence-fail"
  | "libvirtd-kill";

export const FAULT_KINDS: FaultKind[] = [
  "power-off",
  "partition",
  "agent-stall",
  "agent-kill",
  "etcd-leader-kill",
  "etcd-leader-stall",
  "fence-fail",
  "libvirtd-kill",
];

export interface FaultResult {
  id: number;
  kind: FaultKind;
  target: string;
  params: Record<string, string | number>;
  targets: string[];
  start: number;
  faultEnd: number;
  end: number;
  recoveryMs: number | null;
  doubleRuns: Array<{ vm: string; hosts: string[]; startMs: number; durationMs: number; open: boolean }>;
  falseIsolations: FalseIsolation[];
  unrecovered: string[];
  notes: string[];
  /** For unrecovered VMs: their processes, store record and events (see diagnose()). */
  diagnosis?: string[];
}

export interface NemesisOptions {
  minutes: number;
  seed: number;
  vms?: number;
  /** Hosts without a fence device (default: the last host). */
  noFence?: string[];
  /** Which hosts get the lab watchdog: "all" (default), "nofence" or "none". */
  watchdog?: "all" | "nofence" | "none";
  watchdogTimeoutMs?: number;
  recoveryTimeoutMs?: number;
  kinds?: FaultKind[];
  outDir?: string;
  keep?: boolean;
  log?: (line: string) => void;
}

export interface NemesisSummary {
  minutes: number;
  faults: number;
  double_runs: number;
  false_isolations: number;
  unrecovered: number;
  recovery_p50_ms: number | null;
  recovery_p99_ms: number | null;
  [k: string]: number | string | null | boolean;
}

function fmtFault(f: FaultResult): string {
  const params = Object.entries(f.params)
    .map(([k, v]) => `${k}=${v}`)
    .join(" ");
  const dr = f.doubleRuns.length
    ? f.doubleRuns
        .map((d) => `${d.vm} on ${d.hosts.join("+")} ${d.durationMs} ms${d.open ? " (still)" : ""}`)
        .join("; ")
    : "0";
  const fi = f.falseIsolations.length ? f.falseIsolations.map((x) => x.what).join("; ") : "0";
  const un = f.unrecovered.length ? f.unrecovered.join(",") : "0";
  return `fault ${String(f.id).padStart(3)} ${f.kind} ${f.target}${params ? ` ${params}` : ""}: recovery ${
    f.recoveryMs === null ? "n/a" : `${f.recoveryMs} ms`
  }; double runs ${dr}; false isolations ${fi}; unrecovered ${un}${f.notes.length ? `; ${f.notes.join("; ")}` : ""}`;
}

export class Nemesis {
  readonly results: FaultResult[] = [];
  obs!: TruthObserver;
  state!: LabState;
  private rnd: () => number;
  private vms: string[];
  private windows: FaultWindow[] = [];
  private log: (l: string) => void;
  /** All VMs executing exactly once since this time (undefined: not now). */
  private okSince: number | undefined;
  private badSince: number | undefined;
  private firstBadInFault: number | undefined;
  private lastOkInFault: number | undefined;
  readonly outDir: string;
  readonly t0 = Date.now();

  constructor(readonly o: NemesisOptions) {
    this.rnd = prng(o.seed);
    this.vms = Array.from({ length: o.vms ?? 6 }, (_, i) => `vm${i + 1}`);
    this.log = o.log ?? ((l) => process.stdout.write(`${l}\n`));
    this.outDir =
      o.outDir ??
      path.join(RUN_DIR, "torture", `${new Date().toISOString().replace(/[:.]/g, "-")}-seed${o.seed}`);
  }

  private pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.rnd() * xs.length)]!;
  }
  private between(lo: number, hi: number): number {
    return Math.round(lo + this.rnd() * (hi - lo));
  }

  async up(): Promise<void> {
    const hosts = ["h1", "h2", "h3"];
    const noFence = this.o.noFence ?? ["h3"];
    const wd = this.o.watchdog ?? "all";
    const { state } = await lab.up({
      hosts: 3,
      etcd: 3,
      vms: this.vms.length,
      spec: { noFence },
      ...(wd === "none"
        ? {}
        : {
            watchdog: {
              hosts: wd === "all" ? hosts : noFence,
              timeoutMs: this.o.watchdogTimeoutMs ?? 2000,
            },
          }),
      log: (l) => this.log(`# ${l}`),
    });
    this.state = state;
    this.log(
      `# lab: hosts ${hosts.join(",")} (no fence device: ${noFence.join(",")}; watchdog: ${Object.keys(state.watchdog ?? {}).join(",") || "none"}), etcd ${state.etcd.join(",")}, ${this.vms.length} VMs${state.kvm ? "" : " (TCG)"}`,
    );
    this.obs = new TruthObserver(state.hosts);
    this.obs.onScan(() => this.track());
    this.obs.start();
    await this.settle(90000);
  }

  private exactlyOnce(): boolean {
    return this.vms.every((v) => this.obs.where(v).length === 1);
  }

  private track(): void {
    const now = this.obs.lastScanAt;
    if (this.exactlyOnce()) {
      if (this.okSince === undefined) {
        this.okSince = now;
        this.badSince = undefined;
        if (this.firstBadInFault !== undefined) this.lastOkInFault = now;
      }
    } else if (this.badSince === undefined) {
      this.badSince = now;
      this.okSince = undefined;
      this.firstBadInFault ??= now;
    }
  }

  /**
   * Every VM exactly once and every host online in the store, for 3 s: longer than a lease TTL
   * plus etcd's expiry check (1 s + 0.5 s) plus a fence, so what a fault set off (a lease that
   * expires after a quick agent restart, the fencing that follows) happens inside its own
   * window, not in the next fault's.
   */
  private async settle(timeoutMs: number): Promise<boolean> {
    const store = labStore(this.state);
    const end = Date.now() + timeoutMs;
    try {
      let storeOkSince = Date.now();
      while (Date.now() < end) {
        const v = await store.read().catch(() => undefined);
        if (!(v && settled(v, this.state.hosts, this.vms))) storeOkSince = Date.now();
        if (
          v &&
          settled(v, this.state.hosts, this.vms) &&
          this.okSince !== undefined &&
          Date.now() - this.okSince > SETTLED_FOR_MS &&
          Date.now() - storeOkSince > SETTLED_FOR_MS
        )
          return true;
        await sleep(200);
      }
      return false;
    } finally {
      store.client.close();
    }
  }

  private async powerOffHost(h: string): Promise<void> {
    appendPowerEvent({ host: h, action: "off", by: "nemesis" });
    await powerOffAsync(h).catch(() => {});
  }

  private async powerOn(h: string): Promise<string> {
    if (powerState(h) === "on") return "already on";
    let a = "";
    for (let i = 0; i < 3 && a !== "ok"; i++) {
      if (i > 0) await sleep(1000);
      a = await askBmc(`on ${h} by=nemesis`, 60000).catch((e: unknown) => String(e));
    }
    if (a === "ok") await lab.waitBooted(h).catch(() => undefined);
    return a;
  }

  /** Brings everything the faults left down back: hosts, agents, etcd members, libvirtd, links. */
  private async restore(notes: string[]): Promise<void> {
    for (const h of this.state.hosts) {
      await lab.setFenceFailing(h, false).catch(() => {});
      if (powerState(h) === "off") {
        const a = await this.powerOn(h);
        notes.push(`${h} powered on (${a})`);
      } else {
        lab.heal(h, this.state);
        if (fs.existsSync(path.join(hostDir(h), "libvirtd.hold"))) {
          fs.rmSync(path.join(hostDir(h), "libvirtd.hold"), { force: true });
          await waitLibvirtAsync(h, 20000);
        }
        const pid = agentPid(h);
        if (pid !== undefined) {
          try {
            process.kill(pid, "SIGCONT");
          } catch {
            /* gone */
          }
        } else if (this.state.agents) {
          startAgent(h, this.state);
          notes.push(`${h} agent restarted`);
        }
      }
    }
    for (const e of this.state.etcd) {
      const pid = memberPid(e);
      if (pid === undefined) startMember(e, this.state.etcd);
      else
        try {
          process.kill(pid, "SIGCONT");
        } catch {
          /* gone */
        }
    }
  }

  /** Picks and injects one fault; resolves when the fault itself is over (healed). */
  private async inject(
    id: number,
  ): Promise<Omit<FaultResult, "end" | "recoveryMs" | "doubleRuns" | "falseIsolations" | "unrecovered">> {
    const kinds = this.o.kinds ?? FAULT_KINDS;
    const kind = this.pick(kinds);
    const hosts = this.state.hosts;
    const fenced = hosts.filter((h) => !(this.o.noFence ?? ["h3"]).includes(h));
    const params: Record<string, string | number> = {};
    const notes: string[] = [];
    let target = "";
    let targets: string[] = [];
    const start = Date.now();
    const base = { id, kind, params, notes, start };
    const done = (faultEnd = Date.now()) => ({ ...base, target, targets, faultEnd });
    const ttl = 1000;
    switch (kind) {
      case "power-off": {
        target = this.pick(hosts);
        targets = [target];
        const offMs = this.between(2000, 8000);
        params["off_ms"] = offMs;
        this.windowOpen(id, kind, targets, start);
        await this.powerOffHost(target);
        await sleep(offMs);
        notes.push(`power on: ${await this.powerOn(target)}`);
        return done();
      }
      case "partition": {
        target = this.pick(hosts);
        targets = [target];
        const ms = this.between(1000, 8000);
        params["ms"] = ms;
        this.windowOpen(id, kind, targets, start);
        lab.partition(target, this.state);
        await sleep(ms);
        lab.heal(target, this.state);
        return done();
      }
      case "agent-stall": {
        target = this.pick(hosts);
        targets = [target];
        const ms = Math.round(ttl * (0.5 + this.rnd() * 2.5));
        params["ms"] = ms;
        this.windowOpen(id, kind, targets, start);
        const pid = agentPid(target);
        if (pid === undefined) notes.push("no agent to stall");
        else {
          process.kill(pid, "SIGSTOP");
          await sleep(ms);
          if (alive(pid)) process.kill(pid, "SIGCONT");
          else notes.push("agent gone when resumed (host powered off)");
        }
        return done();
      }
      case "agent-kill": {
        target = this.pick(hosts);
        targets = [target];
        const ms = this.between(200, 4000);
        params["restart_after_ms"] = ms;
        this.windowOpen(id, kind, targets, start);
        const pid = agentPid(target);
        if (pid !== undefined) process.kill(pid, "SIGKILL");
        await sleep(ms);
        if (powerState(target) === "on" && agentPid(target) === undefined) {
          // the host's boot, by its init process: a fence (and the power-on after it) changes it
          const boot = initPid(target);
          try {
            startAgent(target, this.state);
          } catch (err) {
            // The primary may fence the host (its lease expired ~1 s after the kill) while the
            // agent is being started: then nsenter finds no host to enter, or the agent dies with
            // the host, which may already be powered on again. Anything else is a lab fault.
            if (initPid(target) === boot && powerState(target) === "on") throw err;
            notes.push("agent not restarted: host powered off (fenced) while it was being started");
          }
        } else notes.push(`agent not restarted: host ${powerState(target)}`);
        return done();
      }
      case "etcd-leader-kill":
      case "etcd-leader-stall": {
        const leader = (await etcdLeader(this.state.etcd)) ?? this.pick(this.state.etcd);
        target = leader;
        targets = [];
        const ms = kind === "etcd-leader-kill" ? this.between(1000, 5000) : this.between(500, 3000);
        params[kind === "etcd-leader-kill" ? "down_ms" : "ms"] = ms;
        this.windowOpen(id, kind, targets, start);
        const pid = memberPid(leader);
        if (kind === "etcd-leader-kill") {
          stopMember(leader);
          await sleep(ms);
          startMember(leader, this.state.etcd);
        } else if (pid !== undefined) {
          process.kill(pid, "SIGSTOP");
          await sleep(ms);
          process.kill(pid, "SIGCONT");
        }
        return done();
      }
      case "fence-fail": {
        target = this.pick(fenced);
        targets = [target];
        const ms = this.between(3000, 10000);
        const inner = this.pick(["none", "power-off", "agent-stall", "partition"] as const);
        params["ms"] = ms;
        params["with"] = inner;
        const innerMs = inner === "agent-stall" ? this.between(1200, 3000) : this.between(1000, ms - 1000);
        if (inner !== "none") params["inner_ms"] = innerMs;
        this.windowOpen(id, kind, targets, start);
        await lab.setFenceFailing(target, true);
        const t = Date.now();
        if (inner === "power-off") await this.powerOffHost(target);
        if (inner === "partition") lab.partition(target, this.state);
        const pid = agentPid(target);
        if (inner === "agent-stall" && pid !== undefined) process.kill(pid, "SIGSTOP");
        await sleep(innerMs);
        if (inner === "partition") lab.heal(target, this.state);
        if (inner === "agent-stall" && pid !== undefined && alive(pid)) process.kill(pid, "SIGCONT");
        await sleep(Math.max(0, ms - (Date.now() - t)));
        await lab.setFenceFailing(target, false);
        if (inner === "power-off") notes.push(`power on: ${await this.powerOn(target)}`);
        return done();
      }
      case "libvirtd-kill": {
        target = this.pick(hosts);
        targets = [target];
        const ms = this.between(1000, 8000);
        params["down_ms"] = ms;
        this.windowOpen(id, kind, targets, start);
        const pid = killLibvirtd(target);
        if (pid === undefined) notes.push("libvirtd was not running");
        await sleep(ms);
        fs.rmSync(path.join(hostDir(target), "libvirtd.hold"), { force: true });
        if (powerState(target) === "on" && !(await waitLibvirtAsync(target, 20000)))
          notes.push("libvirtd not answering 20 s after restart");
        return done();
      }
    }
  }

  private windowOpen(id: number, kind: string, targets: string[], start: number): void {
    this.windows.push({ id, kind, targets, start, end: Number.POSITIVE_INFINITY });
  }

  async runFault(id: number): Promise<FaultResult> {
    this.firstBadInFault = this.exactlyOnce() ? undefined : Date.now();
    this.lastOkInFault = undefined;
    const f = await this.inject(id);
    const recoveryTimeout = this.o.recoveryTimeoutMs ?? 30000;
    await this.restore(f.notes);
    // Recovery: every VM running exactly once, within the bound, measured from fault end, and
    // for SETTLED_FOR_MS after it (longer than a lease TTL, etcd's expiry check and a fence):
    // what the fault set off plays out before the verdict.
    const deadline = f.faultEnd + recoveryTimeout;
    while (Date.now() < deadline && !recoveryJudgeable(this.okSince, f.faultEnd, Date.now(), SETTLED_FOR_MS))
      await sleep(100);
    await this.obs.fresh();
    const unrecovered = this.vms.filter((v) => this.obs.where(v).length === 0);
    const diagnosis = unrecovered.length > 0 ? await this.diagnose(unrecovered, f.start) : [];
    if (!(await this.settle(15000)))
      f.notes.push("store not settled 15 s after recovery (hosts not all online)");
    const end = Date.now();
    const w = this.windows[this.windows.length - 1]!;
    w.end = end;
    const recoveryMs =
      this.firstBadInFault === undefined ? null : (this.lastOkInFault ?? Number.NaN) - f.start;
    const doubleRuns = this.obs.doubleRuns
      .filter((d) => d.start >= f.start && d.start < end)
      .map((d) => ({
        vm: d.vm,
        hosts: d.hosts,
        startMs: d.start - f.start,
        durationMs: episodeMs(d),
        open: d.end === undefined,
      }));
    const res: FaultResult = {
      ...f,
      end,
      recoveryMs: recoveryMs !== null && Number.isNaN(recoveryMs) ? null : recoveryMs,
      doubleRuns,
      falseIsolations: falseIsolations(
        this.obs.transitions,
        readPowerEvents(f.start),
        this.windows,
        f.start,
        end,
      ),
      unrecovered,
      ...(diagnosis.length ? { diagnosis } : {}),
    };
    if (this.firstBadInFault !== undefined && this.lastOkInFault === undefined)
      res.notes.push("never back to every VM exactly once");
    this.results.push(res);
    this.log(fmtFault(res));
    for (const l of diagnosis) this.log(`  ${l}`);
    fs.appendFileSync(path.join(this.outDir, "faults.jsonl"), `${JSON.stringify(res)}\n`);
    return res;
  }

  /**
   * Why a VM is not running, in the fault's own line (a CI run keeps no log folder): its QEMU
   * processes with what libvirt says of them, the store's record and reports, and the cluster
   * events that name it since the fault began.
   */
  private async diagnose(vms: readonly string[], since: number): Promise<string[]> {
    const out: string[] = [];
    const store = labStore(this.state);
    try {
      const v = await store.read().catch(() => undefined);
      const evs = await events(store, since).catch(() => []);
      for (const vm of vms) {
        const procs = this.obs
          .scanProcesses()
          .filter((p) => p.vm === vm)
          .map(
            (p) =>
              `${p.host} pid ${p.pid}${p.incoming ? " incoming" : ""} libvirt ${this.obs.libvirtState(p.host, vm)}`,
          );
        const rec = v?.manager?.resources[vm];
        const reps = Object.values(v?.reports ?? {})
          .filter((r) => r.running.includes(vm))
          .map((r) => r.host);
        out.push(
          `${vm}: qemu [${procs.join(", ") || "none"}]; store ${rec ? `${rec.state} on ${rec.node ?? "-"}` : "no record"}; reported running by [${reps.join(",")}]`,
        );
        for (const e of evs.filter((e) => e.subject.endsWith(` ${vm}`) || e.message.includes(vm)).slice(-12))
          out.push(`  ${e.at.slice(11, 23)} ${e.host} ${e.subject}: ${e.message}`);
      }
    } finally {
      store.client.close();
    }
    return out;
  }

  async runAll(): Promise<NemesisSummary> {
    fs.mkdirSync(this.outDir, { recursive: true });
    const until = Date.now() + this.o.minutes * 60000;
    let id = 0;
    while (Date.now() < until) await this.runFault(++id);
    return this.summary();
  }

  summary(): NemesisSummary {
    const rec = this.results.map((r) => r.recoveryMs).filter((x): x is number => x !== null);
    const s: NemesisSummary = {
      minutes: this.o.minutes,
      faults: this.results.length,
      double_runs: this.results.reduce((n, r) => n + r.doubleRuns.length, 0),
      false_isolations: this.results.reduce((n, r) => n + r.falseIsolations.length, 0),
      unrecovered: this.results.reduce((n, r) => n + r.unrecovered.length, 0),
      recovery_p50_ms: percentile(rec, 50),
      recovery_p99_ms: percentile(rec, 99),
    };
    for (const k of FAULT_KINDS) {
      const rs = this.results.filter((r) => r.kind === k);
      if (rs.length === 0) continue;
      const key = k.replaceAll("-", "_");
      const xs = rs.map((r) => r.recoveryMs).filter((x): x is number => x !== null);
      s[`faults_${key}`] = rs.length;
      s[`recovery_p50_ms_${key}`] = percentile(xs, 50);
      s[`double_runs_${key}`] = rs.reduce((n, r) => n + r.doubleRuns.length, 0);
    }
    s["seed"] = this.o.seed;
    s["kvm"] = this.state?.kvm ?? null;
    return s;
  }

  /** Copies every agent's log, etcd's, the watchdog's and the power log to the output folder. */
  keepLogs(): void {
    fs.mkdirSync(this.outDir, { recursive: true });
    for (const h of this.state?.hosts ?? []) {
      for (const f of ["agent.log", "host.log"]) {
        const p = path.join(hostDir(h), f);
        if (fs.existsSync(p)) fs.copyFileSync(p, path.join(this.outDir, `${h}-${f}`));
      }
    }
    for (const e of this.state?.etcd ?? []) {
      const p = path.join(RUN_DIR, "etcd", e, "etcd.log");
      if (fs.existsSync(p)) fs.copyFileSync(p, path.join(this.outDir, `${e}-etcd.log`));
    }
    for (const p of [POWER_LOG, WATCHDOG_LOG, path.join(RUN_DIR, "bmc.log")])
      if (fs.existsSync(p)) fs.copyFileSync(p, path.join(this.outDir, path.basename(p)));
    fs.writeFileSync(
      path.join(this.outDir, "observer.json"),
      JSON.stringify({ doubleRuns: this.obs?.doubleRuns, transitions: this.obs?.transitions }, null, 1),
    );
  }

  shutdown(): void {
    this.obs?.stop();
    if (!this.o.keep) lab.down();
  }
}

/** The whole run: print the seed, up, faults, per-fault lines, the JSON line last. */
export async function torture(o: NemesisOptions): Promise<NemesisSummary> {
  const n = new Nemesis(o);
  const log = o.log ?? ((l: string) => process.stdout.write(`${l}\n`));
  log(`seed ${o.seed}`);
  let summary: NemesisSummary | undefined;
  try {
    await n.up();
    summary = await n.runAll();
    const bad = summary.double_runs + summary.false_isolations + summary.unrecovered > 0;
    fs.writeFileSync(path.join(n.outDir, "summary.json"), `${JSON.stringify(summary)}\n`);
    if (bad) {
      n.keepLogs();
      log(`# something went wrong: logs of every agent, etcd, BMC and watchdog kept in ${n.outDir}`);
    }
    return summary;
  } catch (err) {
    summary = { ...n.summary(), aborted: true };
    n.keepLogs();
    log(
      `# nemesis failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}; logs in ${n.outDir}`,
    );
    throw err;
  } finally {
    n.shutdown();
    if (summary) log(JSON.stringify(summary));
  }
}

export { stopMember };
