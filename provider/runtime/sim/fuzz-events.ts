// The fuzzer's event generator: every event of the language, with durations in the ranges that
// break real clusters (TTL L = 1 s here): stalls of 0.5-3 x L, elections of 0.2-2 s, restarts
// after 0-1.5 x L, libvirt outages, clock steps of 0.5-5 s, slow store calls and lost replies,
// hostile store content, slow or failing operations, hosts without a watchdog or a fence device.
import fc from "fast-check";
import type { SimEvent } from "./events";

export const FUZZ_HOSTS = ["h1", "h2", "h3", "h4"];
export const FUZZ_RESOURCES = ["web", "db", "db2", "app", "vip", "batch", "big"];

const host = fc.constantFrom(...FUZZ_HOSTS);
const res = fc.constantFrom(...FUZZ_RESOURCES);
const ms = (lo: number, hi: number) => fc.integer({ min: lo / 10, max: hi / 10 }).map((n) => n * 10);

/** Values nobody should have written, for every key the agents read. */
const HOSTILE: Array<[string, unknown]> = [
  ["manager", 42],
  ["manager", { version: 1 }],
  [
    "manager",
    { version: 1, specRevision: 1, seq: 0, handledRequests: [], hosts: {}, resources: { web: null } },
  ],
  ["manager", { version: 2, constructor: 1 }],
  ["reports/h2", { host: "h2" }],
  [
    "reports/h3",
    { host: "h1", at: 0, managerRevision: 1e9, listed: true, running: [], busy: [], failed: {} },
  ],
  ["reports/h1", null],
  ["reports/__proto__", { host: "__proto__" }],
  ["requests/migrate/constructor", { id: "constructor", resource: "__proto__", target: "h2" }],
  ["requests/migrate/x", { resource: "web" }],
  ["requests/migrate/y", 7],
  ["spec", { version: 1 }],
  ["spec", 42],
];

const stage: Array<fc.WeightedArbitrary<SimEvent>> = [
  { weight: 1, arbitrary: host.map((h): SimEvent => ({ kind: "watchdog", host: h, what: "none" })) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom("start", "stop", "kill", "migrate", "fence" as const), ms(10, 3000))
      .map(([op, d]): SimEvent => ({ kind: "op", op, min: d, max: d })),
  },
  // a list of 1.9 s starves the loop (no resource ever starts: reported, a liveness finding);
  // the fuzzer keeps lists under half a second
  { weight: 1, arbitrary: ms(10, 500).map((d): SimEvent => ({ kind: "op", op: "list", min: d, max: d })) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(host, fc.integer({ min: -20000, max: 20000 }))
      .map(([h, ppm]): SimEvent => ({ kind: "clock-rate", host: h, ppm })),
  },
];

const faults: Array<fc.WeightedArbitrary<SimEvent>> = [
  {
    weight: 3,
    arbitrary: fc
      .tuple(host, ms(500, 3000))
      .map(([h, d]): SimEvent => ({ kind: "agent-stall", host: h, ms: d })),
  },
  {
    weight: 3,
    arbitrary: fc
      .tuple(host, fc.oneof(fc.constant(0), ms(500, 1500)))
      .map(([h, d]): SimEvent => ({ kind: "agent-restart", host: h, afterMs: d })),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(host, ms(200, 5000), fc.boolean())
      .map(([h, d, hang]): SimEvent => ({ kind: "libvirt", host: h, ms: d, hang })),
  },
  { weight: 2, arbitrary: ms(200, 2000).map((d): SimEvent => ({ kind: "store-election", ms: d })) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(1, 5, 20, 60, 160).map((d): SimEvent => ({ kind: "store-latency", ms: d })),
  },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 3 }).map((n): SimEvent => ({ kind: "store-lose", n })) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(host, ms(500, 5000), fc.boolean())
      .map(([h, d, back]): SimEvent => ({ kind: "clock-step", host: h, ms: back ? -d : d })),
  },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom(...HOSTILE)
      .map(([key, value]): SimEvent => ({ kind: "store-put", key, value })),
  },
  { weight: 1, arbitrary: host.map((h): SimEvent => ({ kind: "store-delete", key: `leases/${h}` })) },
  { weight: 2, arbitrary: host.map((h): SimEvent => ({ kind: "store-revoke", host: h })) },
];

const classic: Array<fc.WeightedArbitrary<SimEvent>> = [
  {
    weight: 8,
    arbitrary: fc.integer({ min: 1, max: 16 }).map((n): SimEvent => ({ kind: "advance", ms: n * 250 })),
  },
  {
    weight: 3,
    arbitrary: fc.tuple(host, fc.boolean()).map(([h, on]): SimEvent => ({ kind: "power", host: h, on })),
  },
  {
    weight: 2,
    arbitrary: fc.tuple(host, fc.boolean()).map(([h, on]): SimEvent => ({ kind: "network", host: h, on })),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(host, fc.boolean())
      .map(([h, cut]): SimEvent => ({ kind: "store-partition", host: h, cut })),
  },
  { weight: 1, arbitrary: fc.boolean().map((down): SimEvent => ({ kind: "store", down })) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(host, fc.constantFrom(1, 2, 5, Number.POSITIVE_INFINITY))
      .map(([h, failures]): SimEvent => ({ kind: "fence", host: h, failures })),
  },
  { weight: 1, arbitrary: host.map((h): SimEvent => ({ kind: "agent", host: h, hung: true })) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(res, fc.constantFrom("crash", "hang", "unhealthy", "recover" as const))
      .map(([r, what]): SimEvent => ({ kind: "vm", resource: r, what })),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(res, host)
      .map(([r, h]): SimEvent => ({ kind: "vm-start-fails", resource: r, host: h })),
  },
  {
    weight: 2,
    arbitrary: fc.tuple(res, host).map(([r, h]): SimEvent => ({ kind: "vm-migrate", resource: r, host: h })),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(host, fc.boolean())
      .map(([h, on]): SimEvent => ({ kind: "maintenance", host: h, on })),
  },
  { weight: 1, arbitrary: fc.constant<SimEvent>({ kind: "skip-round", host: "primary" }) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom("big", "web", "app"), fc.constantFrom("started", "stopped"))
      .map(([r, state]): SimEvent => ({ kind: "spec-set", path: `resources.${r}.state`, value: state })),
  },
];

export const eventArb: fc.Arbitrary<SimEvent> = fc.oneof(...classic, ...faults, ...stage);
