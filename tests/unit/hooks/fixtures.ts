// Manager states and a spec for the hook tests: three hosts, h2 fails and its VMs move.
import type { HostRecord, ManagerState, ResourceRecord } from "../../../provider/runtime/core/model";
import { type ClusterSpec, parseSpec } from "../../../provider/runtime/core/spec";
import type { HostState, ResourceState } from "../../../provider/runtime/core/states";

export function hookSpec(): ClusterSpec {
  return parseSpec({
    version: 1,
    name: "prod",
    admissionControl: { policy: "hostFailures", hostFailures: 1 },
    hosts: {
      h1: { cpu: 8, memoryMiB: 16384 },
      h2: {
        cpu: 8,
        memoryMiB: 16384,
        fence: { agent: "fence_ipmilan", params: { ip: "10.0.0.2" }, secretParams: ["password"] },
      },
      h3: { cpu: 8, memoryMiB: 16384 },
    },
    resources: {
      web: { kind: "vm", reservation: { cpu: 4, memoryMiB: 1024 } },
      db: { kind: "vm", reservation: { cpu: 4, memoryMiB: 1024 } },
    },
  });
}

type H = HostState | [HostState, Partial<HostRecord>];
type R = [ResourceState, string | undefined] | [ResourceState, string | undefined, Partial<ResourceRecord>];

export function mstate(hosts: Record<string, H>, resources: Record<string, R>): ManagerState {
  return {
    version: 1,
    specRevision: 1,
    seq: 1,
    handledRequests: [],
    hosts: Object.fromEntries(
      Object.entries(hosts).map(([h, v]) => {
        const [state, extra] = Array.isArray(v) ? v : [v, {}];
        return [h, { state, since: 0, ...extra }];
      }),
    ),
    resources: Object.fromEntries(
      Object.entries(resources).map(([r, [state, node, extra]]) => [
        r,
        {
          state,
          since: 0,
          epoch: 1,
          relocations: 0,
          admitted: true,
          specKey: "",
          ...(node ? { node } : {}),
          ...(extra ?? {}),
        },
      ]),
    ),
  };
}

/** The committed states of a power-off of h2 (web and db ran there), as the core commits them. */
export function powerOffSequence(): ManagerState[] {
  const fence0 = { fence: { attempts: 0 } };
  return [
    mstate({ h1: "online", h2: "online", h3: "online" }, { web: ["started", "h2"], db: ["started", "h2"] }),
    mstate(
      { h1: "online", h2: ["fencing", { reason: "lease expired", ...fence0 }], h3: "online" },
      { web: ["recovering", "h2"], db: ["recovering", "h2"] },
    ),
    mstate(
      { h1: "online", h2: ["fencing", { fence: { attempts: 1, lastAttemptAt: 1 } }], h3: "online" },
      { web: ["recovering", "h2"], db: ["recovering", "h2"] },
    ),
    mstate(
      {
        h1: "online",
        h2: ["fenced", { reason: "fence device confirmed off", fence: { attempts: 1, confirmedAt: 2 } }],
        h3: "online",
      },
      { web: ["starting", "h1", { home: "h2" }], db: ["starting", "h3", { home: "h2" }] },
    ),
    mstate(
      { h1: "online", h2: ["fenced", { fence: { attempts: 1, confirmedAt: 2 } }], h3: "online" },
      { web: ["started", "h1", { home: "h2" }], db: ["starting", "h3", { home: "h2" }] },
    ),
    mstate(
      { h1: "online", h2: ["fenced", { fence: { attempts: 1, confirmedAt: 2 } }], h3: "online" },
      { web: ["started", "h1", { home: "h2" }], db: ["started", "h3", { home: "h2" }] },
    ),
  ];
}
