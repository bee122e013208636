#!/usr/bin/env node
// Benchmark of the pure core: time for decide() to plan the recovery after one of 64 hosts
// failed, with 8000 VMs in the cluster (vSphere/WSFC maximums). Measured step: the fence
// device's confirmation arrives for the failed host (its 125 VMs are recovering) and the
// primary frees and places them all (admission, anti-affinity, preferences, spread by load).
// Also measured: the detection step (lease expired -> suspect -> fencing). Prints per-run
// figures; the last line is one JSON object.
import * as os from "node:os";
import { performance } from "node:perf_hooks";
import { decide } from "../core/decide";
import { emptyLocal, type ManagerState, type ResourceRecord, type Snapshot } from "../core/model";
import { type ClusterSpecInput, parseSpec } from "../core/spec";

const HOSTS = 64;
const VMS = 8000;
const FAILED = "h17";
const PRI = ["lowest", "low", "medium", "high", "highest"] as const;

function build(): { input: ClusterSpecInput; state: ManagerState } {
  const hosts: ClusterSpecInput["hosts"] = {};
  const names = Array.from({ length: HOSTS }, (_, i) => `h${i + 1}`);
  for (const h of names)
    hosts[h] = { cpu: 320, memoryMiB: 1_048_576, fence: { agent: "fence_ipmilan", params: { ip: h } } };
  const resources: NonNullable<ClusterSpecInput["resources"]> = {};
  const records: Record<string, ResourceRecord> = {};
  for (let i = 0; i < VMS; i++) {
    const name = `vm${String(i).padStart(4, "0")}`;
    const node = names[i % HOSTS]!;
    resources[name] = {
      kind: "vm",
      priority: PRI[i % PRI.length]!,
      reservation: { cpu: 2, memoryMiB: 4096 },
      placement: {
        ...(i % 4 === 0 ? { antiAffinityGroup: `g${Math.floor(i / 64) % 500}` } : {}),
        ...(i % 10 === 0 ? { preferredHosts: [names[(i * 7) % HOSTS]!] } : {}),
      },
    };
    records[name] = {
      state: "started",
      since: 0,
      node,
      epoch: i + 1,
      relocations: 0,
      admitted: true,
      specKey: "",
    };
  }
  const input: ClusterSpecInput = { version: 1, name: "bench", hosts, resources };
  const spec = parseSpec(input);
  for (const [r, rec] of Object.entries(records)) rec.specKey = JSON.stringify(spec.resources[r]);
  const state: ManagerState = {
    version: 1,
    specRevision: 1,
    seq: VMS,
    handledRequests: [],
    hosts: Object.fromEntries(names.map((h) => [h, { state: "online" as const, since: 0 }])),
    resources: records,
  };
  return { input, state };
}

function snapshot(input: ClusterSpecInput, state: ManagerState, leases: string[]): Snapshot {
  const spec = parseSpec(input);
  return {
    self: "h1",
    spec,
    view: {
      revision: 10,
      spec: input,
      specRevision: 1,
      manager: state,
      managerRevision: 9,
      leases,
      primary: "h1",
      reports: {},
      maintenance: [],
      migrateRequests: [],
    },
    storeReachable: true,
    isPrimary: true,
    inFlight: [],
    lease: { state: "held", sinceAckMs: 0, ttlMs: 1000, askedTtlMs: 1000, generation: 1, id: "1" },
    listed: true,
    running: [],
    unknown: [],
    local: { ...emptyLocal("h1"), primary: true },
  };
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}

function main(): void {
  const runs = Number(process.argv[2] ?? 60);
  const { input, state } = build();
  const alive = Object.keys(state.hosts).filter((h) => h !== FAILED);
  // detection step: the failed host's lease is gone
  const detectSnap = snapshot(input, state, alive);
  const detected = decide(detectSnap, { type: "tick" }, 100_000).next.manager!;
  const onFailed = Object.values(detected.resources).filter(
    (r) => r.node === FAILED && r.state === "recovering",
  ).length;
  // recovery step: the device confirmed the host off
  const fenceSnap = snapshot(input, detected, alive);
  const ev = { type: "fence-result", host: FAILED, off: true } as const;
  const check = decide(fenceSnap, ev, 100_250).next.manager!;
  const placed = Object.values(check.resources).filter((r) => r.state === "starting").length;
  if (onFailed !== VMS / HOSTS || placed !== onFailed) {
    throw new Error(`bench setup wrong: ${onFailed} recovering, ${placed} placed`);
  }
  process.stdout.write(
    `cluster: ${HOSTS} hosts, ${VMS} VMs; ${FAILED} failed with ${onFailed} VMs; ${placed} placed\n`,
  );
  for (let i = 0; i < 5; i++) decide(fenceSnap, ev, 100_250); // warm-up
  const detect: number[] = [];
  const plan: number[] = [];
  const planCpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    let t = performance.now();
    decide(detectSnap, { type: "tick" }, 100_000);
    detect.push(performance.now() - t);
    const c = process.cpuUsage();
    t = performance.now();
    decide(fenceSnap, ev, 100_250);
    plan.push(performance.now() - t);
    const used = process.cpuUsage(c);
    planCpu.push((used.user + used.system) / 1000);
    process.stdout.write(
      `run ${i + 1}: detect ${detect[i]!.toFixed(2)} ms, plan recovery ${plan[i]!.toFixed(2)} ms ` +
        `(process cpu ${planCpu[i]!.toFixed(2)} ms)\n`,
    );
  }
  const r = (x: number) => Math.round(x * 100) / 100;
  process.stdout.write(
    `detect (lease expiry step): median ${r(percentile(detect, 50))} ms, p99 ${r(percentile(detect, 99))} ms\n` +
      `plan recovery, process cpu time: median ${r(percentile(planCpu, 50))} ms, p99 ${r(percentile(planCpu, 99))} ms\n` +
      `machine: load average ${os.loadavg()[0]!.toFixed(2)} on ${os.cpus().length} cpus (wall time is inflated by load)\n`,
  );
  process.stdout.write(
    `${JSON.stringify({ median_ms: r(percentile(plan, 50)), p99_ms: r(percentile(plan, 99)) })}\n`,
  );
}

main();
