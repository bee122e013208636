// Property tests of placement through the real manager step: whatever the cluster, a plan
// never overcommits a host, never uses a banned host, never puts two members of an
// anti-affinity group together, prefers higher restart priority under scarcity, honours
// preferred hosts, and is deterministic.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  type ClusterSpecInput,
  emptyLocal,
  type ManagerState,
  parseSpec,
  runManager,
  type Snapshot,
} from "../../../provider/runtime/core";

const PRI = ["lowest", "low", "medium", "high", "highest"] as const;

const clusterArb = fc
  .record({
    hosts: fc.array(
      fc.record({ cpu: fc.integer({ min: 2, max: 32 }), mem: fc.integer({ min: 2, max: 64 }) }),
      {
        minLength: 1,
        maxLength: 8,
      },
    ),
    resources: fc.array(
      fc.record({
        cpu: fc.integer({ min: 0, max: 8 }),
        mem: fc.integer({ min: 0, max: 16 }),
        pri: fc.constantFrom(...PRI),
        group: fc.option(fc.constantFrom("g1", "g2", "g3"), { nil: undefined }),
        ban: fc.option(fc.integer({ min: 0, max: 7 }), { nil: undefined }),
        pref: fc.option(fc.integer({ min: 0, max: 7 }), { nil: undefined }),
      }),
      { minLength: 1, maxLength: 40 },
    ),
  })
  .map(({ hosts, resources }): ClusterSpecInput => {
    const names = hosts.map((_, i) => `h${i + 1}`);
    const pick = (i: number | undefined) => (i === undefined || i >= names.length ? [] : [names[i]!]);
    return {
      version: 1,
      name: "prop",
      admissionControl: { policy: "disabled" },
      hosts: Object.fromEntries(hosts.map((h, i) => [names[i]!, { cpu: h.cpu, memoryMiB: h.mem * 1024 }])),
      resources: Object.fromEntries(
        resources.map((r, i) => [
          `r${String(i).padStart(2, "0")}`,
          {
            kind: "vm" as const,
            priority: r.pri,
            reservation: { cpu: r.cpu, memoryMiB: r.mem * 512 },
            placement: {
              bannedHosts: pick(r.ban),
              preferredHosts: pick(r.pref).filter((h) => !pick(r.ban).includes(h)),
              ...(r.group ? { antiAffinityGroup: r.group } : {}),
            },
          },
        ]),
      ),
    };
  });

function plan(input: ClusterSpecInput): { state: ManagerState; spec: ReturnType<typeof parseSpec> } {
  const spec = parseSpec(input);
  const hosts = Object.keys(spec.hosts);
  const snap: Snapshot = {
    self: hosts[0]!,
    spec,
    view: {
      revision: 1,
      spec: input,
      specRevision: 1,
      manager: undefined,
      managerRevision: 0,
      leases: hosts,
      primary: hosts[0],
      reports: {},
      maintenance: [],
      migrateRequests: [],
    },
    storeReachable: true,
    isPrimary: true,
    lease: { state: "held", sinceAckMs: 0, ttlMs: 1000, askedTtlMs: 1000, generation: 1, id: "1" },
    listed: true,
    inFlight: [],
    running: [],
    unknown: [],
    local: emptyLocal(hosts[0]!),
  };
  return { state: runManager(snap, { type: "tick" }, 0).state, spec };
}

describe("placement (property-based)", () => {
  it("never overcommits, never uses banned hosts, never breaks anti-affinity", () => {
    fc.assert(
      fc.property(clusterArb, (input) => {
        const { state, spec } = plan(input);
        const used = new Map<string, { cpu: number; mem: number }>();
        const groups = new Set<string>();
        for (const [r, rec] of Object.entries(state.resources)) {
          if (!rec.node) continue;
          assert.equal(rec.state, "starting");
          const s = spec.resources[r]!;
          assert.ok(!s.placement.bannedHosts.includes(rec.node), `${r} on banned ${rec.node}`);
          const u = used.get(rec.node) ?? { cpu: 0, mem: 0 };
          u.cpu += s.reservation.cpu;
          u.mem += s.reservation.memoryMiB;
          used.set(rec.node, u);
          const g = s.placement.antiAffinityGroup;
          if (g) {
            assert.ok(!groups.has(`${g}@${rec.node}`), `two members of ${g} on ${rec.node}`);
            groups.add(`${g}@${rec.node}`);
          }
        }
        for (const [h, u] of used) {
          assert.ok(u.cpu <= spec.hosts[h]!.cpu && u.mem <= spec.hosts[h]!.memoryMiB, `${h} overcommitted`);
        }
      }),
      { numRuns: 300, seed: 4242 },
    );
  });

  it("a resource left unplaced really fits nowhere, and its reason says why", () => {
    fc.assert(
      fc.property(clusterArb, (input) => {
        const { state, spec } = plan(input);
        const free = new Map(
          Object.entries(spec.hosts).map(([h, s]) => [h, { cpu: s.cpu, mem: s.memoryMiB }]),
        );
        for (const [r, rec] of Object.entries(state.resources)) {
          if (!rec.node) continue;
          const f = free.get(rec.node)!;
          f.cpu -= spec.resources[r]!.reservation.cpu;
          f.mem -= spec.resources[r]!.reservation.memoryMiB;
        }
        for (const [r, rec] of Object.entries(state.resources)) {
          if (rec.node) continue;
          const s = spec.resources[r]!;
          assert.match(rec.reason ?? "", /no host can take it/);
          if (s.placement.antiAffinityGroup || s.placement.bannedHosts.length) continue;
          for (const [h, f] of free) {
            assert.ok(f.cpu < s.reservation.cpu || f.mem < s.reservation.memoryMiB, `${r} would fit on ${h}`);
          }
        }
      }),
      { numRuns: 300, seed: 77 },
    );
  });

  it("under scarcity, higher restart priority wins (identical reservations, no constraints)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.constantFrom(...PRI), { minLength: 1, maxLength: 30 }),
        (slots, pris) => {
          const input: ClusterSpecInput = {
            version: 1,
            name: "p",
            admissionControl: { policy: "disabled" },
            hosts: { h1: { cpu: slots, memoryMiB: 65536 } },
            resources: Object.fromEntries(
              pris.map((p, i) => [
                `r${i}`,
                { kind: "vm", priority: p, reservation: { cpu: 1, memoryMiB: 1 } },
              ]),
            ),
          };
          const { state } = plan(input);
          const rank = (r: string) => PRI.indexOf(pris[Number(r.slice(1))]!);
          const placed = Object.entries(state.resources)
            .filter(([, x]) => x.node)
            .map(([r]) => rank(r));
          const left = Object.entries(state.resources)
            .filter(([, x]) => !x.node)
            .map(([r]) => rank(r));
          assert.equal(placed.length, Math.min(slots, pris.length));
          if (left.length)
            assert.ok(Math.min(...placed) >= Math.max(...left), "a lower priority got a slot first");
        },
      ),
      { numRuns: 300, seed: 9 },
    );
  });

  it("is deterministic", () => {
    fc.assert(
      fc.property(clusterArb, (input) => {
        assert.deepEqual(plan(input).state, plan(input).state);
      }),
      { numRuns: 100, seed: 5 },
    );
  });

  it("takes the preferred host when it fits, else spreads by load", () => {
    const input: ClusterSpecInput = {
      version: 1,
      name: "p",
      admissionControl: { policy: "disabled" },
      hosts: {
        h1: { cpu: 8, memoryMiB: 8192 },
        h2: { cpu: 8, memoryMiB: 8192 },
        h3: { cpu: 8, memoryMiB: 8192 },
      },
      resources: {
        a: { kind: "vm", reservation: { cpu: 6, memoryMiB: 1024 }, placement: { preferredHosts: ["h3"] } },
        b: { kind: "vm", reservation: { cpu: 6, memoryMiB: 1024 }, placement: { preferredHosts: ["h3"] } },
        c: { kind: "vm", reservation: { cpu: 1, memoryMiB: 1024 } },
      },
    };
    const { state } = plan(input);
    assert.equal(state.resources["a"]!.node, "h3");
    assert.equal(state.resources["b"]!.node, "h1");
    assert.equal(state.resources["c"]!.node, "h2");
  });
});
