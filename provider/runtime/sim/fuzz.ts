// Seeded fuzzing of the whole runtime (core + driver loop on the discrete-event simulator) with
// fast-check: random event sequences (sim/fuzz-events.ts) against a fixed 4-host cluster (h4
// has no fence device), the safety invariants after every engine event (sim/invariants.ts),
// and at the end -- after healing everything -- the liveness check that every protected
// resource runs exactly once. A failure is shrunk and printed as a ready-to-save scenario.
import fc from "fast-check";
import type { ClusterSpecInput } from "../core/spec";
import { formatEvent, type SimEvent } from "./events";
import { eventArb, FUZZ_HOSTS, FUZZ_RESOURCES } from "./fuzz-events";
import { runScenario } from "./runner";

export { eventArb, FUZZ_HOSTS, FUZZ_RESOURCES };

const fence = (plug: string) => ({ agent: "fence_vmha_sim", params: { plug } });

export const FUZZ_CLUSTER: ClusterSpecInput = {
  version: 1,
  name: "fuzz",
  admissionControl: { policy: "hostFailures", hostFailures: 1 },
  hosts: {
    h1: { cpu: 8, memoryMiB: 16384, fence: fence("h1") },
    h2: { cpu: 8, memoryMiB: 16384, fence: fence("h2") },
    h3: { cpu: 8, memoryMiB: 16384, fence: fence("h3") },
    h4: { cpu: 8, memoryMiB: 16384 },
  },
  resources: {
    web: {
      kind: "vm",
      priority: "high",
      reservation: { cpu: 2, memoryMiB: 2048 },
      isolationResponse: "kill",
    },
    db: {
      kind: "vm",
      priority: "highest",
      reservation: { cpu: 2, memoryMiB: 4096 },
      placement: { antiAffinityGroup: "db" },
      monitoring: { sensitivity: "high", guestHeartbeat: true, minUptimeMs: 0, failureIntervalMs: 1000 },
    },
    db2: { kind: "vm", reservation: { cpu: 2, memoryMiB: 4096 }, placement: { antiAffinityGroup: "db" } },
    app: {
      kind: "vm",
      priority: "low",
      reservation: { cpu: 1, memoryMiB: 1024 },
      placement: { after: ["db"] },
    },
    vip: { kind: "ip", reservation: { cpu: 0, memoryMiB: 0 }, placement: { colocateWith: ["web"] } },
    batch: {
      kind: "vm",
      priority: "lowest",
      reservation: { cpu: 1, memoryMiB: 1024 },
      isolationResponse: "none",
    },
    // starts stopped; the fuzzer switches it on and off: admitted only while the policy allows
    big: { kind: "vm", state: "stopped", reservation: { cpu: 6, memoryMiB: 4096 }, migration: "offline" },
  },
};

/** Events that undo every fault, then time to settle. */
export function healing(settleMs = 12_000): SimEvent[] {
  const out: SimEvent[] = [
    { kind: "store", down: false },
    { kind: "store-latency", ms: 2 },
    { kind: "store-put", key: "manager", value: "restore" },
    { kind: "store-put", key: "spec", value: FUZZ_CLUSTER },
  ];
  for (const h of FUZZ_HOSTS) {
    out.push(
      { kind: "power", host: h, on: true },
      { kind: "network", host: h, on: true },
      { kind: "store-partition", host: h, cut: false },
      { kind: "fence", host: h, failures: 0 },
      { kind: "agent", host: h, hung: false },
      { kind: "libvirt", host: h, ms: 0, hang: false },
      { kind: "maintenance", host: h, on: false },
    );
  }
  for (const r of FUZZ_RESOURCES)
    out.push({ kind: "vm", resource: r, what: "recover" }, { kind: "vm", resource: r, what: "start-works" });
  // hosts whose lease had already expired are still fenced (powered off) after the network
  // heals: power everything on once more when that is over, then let the cluster settle
  out.push({ kind: "advance", ms: 4000 });
  for (const h of FUZZ_HOSTS) out.push({ kind: "power", host: h, on: true });
  out.push({ kind: "advance", ms: settleMs });
  return out;
}

/** Runs one sequence; returns the problems (empty = fine). */
export async function checkSequence(events: SimEvent[], seed = 1): Promise<string[]> {
  const r = await runScenario(FUZZ_CLUSTER, [...events, ...healing()], { verbose: false, seed });
  return [...r.violations, ...r.world.inv.settled().map((s) => `after healing: ${s}`)];
}

export interface FuzzResult {
  ok: boolean;
  runs: number;
  report: string;
}

export async function fuzz(opts: { runs: number; seed: number; maxEvents?: number }): Promise<FuzzResult> {
  const seqArb = fc.tuple(
    fc.array(eventArb, { minLength: 1, maxLength: opts.maxEvents ?? 24 }),
    fc.integer({ min: 1, max: 1e6 }),
  );
  const prop = fc.asyncProperty(seqArb, async ([events, seed]) => {
    const problems = await checkSequence(events, seed);
    if (problems.length) throw new Error(problems.slice(0, 5).join("\n"));
  });
  const d = await fc.check(prop, { numRuns: opts.runs, seed: opts.seed });
  if (!d.failed) {
    return { ok: true, runs: d.numRuns, report: `fuzz: ${d.numRuns} sequences passed (seed ${opts.seed})` };
  }
  const [events, simSeed] = d.counterexample?.[0] ?? [[], 1];
  const scenario = [
    `# fuzz failure: seed ${opts.seed}, path ${d.counterexamplePath}, ${d.numShrinks} shrinks, sim seed ${simSeed}`,
    ...(d.errorInstance instanceof Error ? d.errorInstance.message : String(d.errorInstance))
      .split("\n")
      .map((l) => `# ${l}`),
    ...events.map(formatEvent),
    "# healing (appended by the fuzzer)",
    ...healing().map(formatEvent),
  ].join("\n");
  const report = [
    `fuzz: FAILED after ${d.numRuns} sequence(s), seed ${opts.seed}`,
    "--- save as tests/scenarios/<name>/events.txt (and `sim-seed` in README) ---",
    scenario,
    "--- cluster.json ---",
    JSON.stringify(FUZZ_CLUSTER, null, 2),
  ].join("\n");
  return { ok: false, runs: d.numRuns, report };
}
