// A three-host cluster for the dashboard's tests, before and after h2 failed: its spec (with a
// known fence password that must never reach a browser), manager states, reports and events.
import type { StatusEvent } from "../../provider/runtime/cli/status";
import type { HostReport, ManagerState, StoreView } from "../../provider/runtime/env";

/** Appears in the spec only; every dashboard response is searched for it. */
export const FENCE_SECRET = "Fence-Pw-7f3a9c-never-shown";
export const RESOURCE_SECRET = "Ocf-Param-b41d-never-shown";

export const SPEC = {
  version: 1,
  name: "dash",
  admissionControl: { policy: "hostFailures", hostFailures: 1 },
  hosts: Object.fromEntries(
    ["h1", "h2", "h3"].map((h) => [
      h,
      {
        cpu: 4,
        memoryMiB: 4096,
        fence: {
          agent: "/usr/sbin/fence_ipmilan",
          params: { ip: `10.0.0.${h.slice(1)}`, username: "admin", password: FENCE_SECRET },
        },
      },
    ]),
  ),
  resources: {
    web: { kind: "vm", reservation: { cpu: 1, memoryMiB: 1024 } },
    db: { kind: "vm", reservation: { cpu: 2, memoryMiB: 2048 } },
    vip: { kind: "ip", agent: "ocf:heartbeat:IPaddr2", params: { ip: "10.0.9.9", secret: RESOURCE_SECRET } },
  },
};

const res = (node: string, epoch: number) => ({
  state: "started" as const,
  since: 0,
  node,
  epoch,
  relocations: 0,
  admitted: true,
  specKey: "k",
});

export const MANAGER_BEFORE: ManagerState = {
  version: 1,
  specRevision: 1,
  seq: 3,
  handledRequests: [],
  hosts: {
    h1: { state: "online", since: 0 },
    h2: { state: "online", since: 0 },
    h3: { state: "online", since: 0 },
  },
  resources: { web: res("h2", 1), db: res("h1", 2), vip: res("h1", 3) },
};

/** h2 was powered off: fenced through its device, web restarted on h3. */
export const MANAGER_AFTER: ManagerState = {
  ...MANAGER_BEFORE,
  seq: 4,
  hosts: {
    ...MANAGER_BEFORE.hosts,
    h2: { state: "fenced", since: 1, reason: "fence device confirmed off" },
  },
  resources: { ...MANAGER_BEFORE.resources, web: res("h3", 4) },
};

export const report = (host: string, running: string[]): HostReport => ({
  host,
  at: 1,
  managerRevision: 1,
  listed: true,
  busy: [],
  running,
  failed: {},
});

export const REPORTS_BEFORE = {
  h1: report("h1", ["db", "vip"]),
  h2: report("h2", ["web"]),
  h3: report("h3", []),
};
export const REPORTS_AFTER = { h1: report("h1", ["db", "vip"]), h3: report("h3", ["web"]) };

export const EVENTS_AFTER: StatusEvent[] = [
  {
    at: "2026-12-02T10:00:01.000Z",
    host: "h1",
    level: "warn",
    subject: "host h2",
    message: "status change online => fencing (lease expired)",
  },
  {
    at: "2026-12-02T10:00:01.400Z",
    host: "h1",
    level: "info",
    subject: "host h2",
    message: "status change fencing => fenced (fence device confirmed off)",
  },
  {
    at: "2026-12-02T10:00:01.450Z",
    host: "h1",
    level: "info",
    subject: "resource web",
    message: "status change recovering => starting (placed on h3)",
  },
  {
    at: "2026-12-02T10:00:02.000Z",
    host: "h3",
    level: "info",
    subject: "resource web",
    message: "status change starting => started",
  },
];

export function view(
  manager: ManagerState,
  reports: Record<string, HostReport>,
  leases: string[],
): StoreView {
  return {
    revision: 10,
    spec: SPEC,
    specRevision: 1,
    manager,
    managerRevision: 9,
    leases,
    primary: "h1",
    reports,
    maintenance: [],
    migrateRequests: [],
  };
}
