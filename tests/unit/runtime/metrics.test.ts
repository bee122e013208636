// The agent's metrics the alert rules and the dashboard need beyond the loop's own counters:
// lease renewal age and TTL (read from the heartbeat at scrape time), failover headroom and
// resource states (from the primary's last successful store read), and the isolation count
// (from the core's isolation line). Pure: a fake store and heartbeat, no etcd.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AgentLogger } from "../../../provider/runtime/agent/logger";
import type { HostReport, LeaseStatus, ManagerState, Store, StoreView } from "../../../provider/runtime/env";
import { AgentMetrics, requiredHostFailures } from "../../../provider/runtime/metrics/metrics";

const spec = {
  version: 1,
  name: "c",
  admissionControl: { policy: "hostFailures", hostFailures: 1 },
  hosts: {
    h1: { cpu: 8, memoryMiB: 16384 },
    h2: { cpu: 8, memoryMiB: 16384 },
    h3: { cpu: 8, memoryMiB: 16384 },
  },
  resources: {
    web: { kind: "vm", reservation: { cpu: 4, memoryMiB: 1024 } },
    db: { kind: "vm", reservation: { cpu: 4, memoryMiB: 1024 } },
    batch: { kind: "vm", reservation: { cpu: 4, memoryMiB: 1024 } },
    spare: { kind: "vm", state: "stopped", reservation: { cpu: 4, memoryMiB: 1024 } },
  },
};

function manager(hostStates: Record<string, string>, resources: Record<string, string>): ManagerState {
  return {
    version: 1,
    specRevision: 1,
    seq: 1,
    handledRequests: [],
    hosts: Object.fromEntries(Object.entries(hostStates).map(([h, state]) => [h, { state, since: 0 }])),
    resources: Object.fromEntries(
      Object.entries(resources).map(([r, state]) => [
        r,
        { state, since: 0, epoch: 1, relocations: 0, admitted: state !== "stopped", specKey: "" },
      ]),
    ),
  } as ManagerState;
}

function view(p: {
  primary: string;
  leases: string[];
  manager: ManagerState;
  specRevision?: number;
}): StoreView {
  return {
    revision: 10,
    spec,
    specRevision: p.specRevision ?? 1,
    manager: p.manager,
    managerRevision: 5,
    leases: p.leases,
    primary: p.primary,
    reports: {},
    maintenance: [],
    migrateRequests: [],
  };
}

/** A Store whose read() returns (or throws) what the test queued. */
function fakeStore(reads: Array<StoreView | Error>): Store {
  return {
    campaign: async () => false,
    read: async () => {
      const next = reads.shift();
      if (!next) throw new Error("no read queued");
      if (next instanceof Error) throw next;
      return next;
    },
    commitManager: async () => 0,
    report: async (_r: HostReport) => undefined,
  };
}

/** Samples of one metric as {labels-string: value}, via the registry's own JSON. */
async function samples(m: AgentMetrics, name: string): Promise<Record<string, number>> {
  const json = await m.registry.getMetricsAsJSON();
  const metric = json.find((x) => x.name === name);
  assert.ok(metric, `metric ${name} is registered`);
  const out: Record<string, number> = {};
  for (const v of metric.values) {
    const labels = Object.entries(v.labels)
      .filter(([k]) => k !== "agent_host")
      .map(([k, val]) => `${k}=${val}`)
      .sort()
      .join(",");
    out[labels] = v.value;
  }
  return out;
}

const healthy = manager(
  { h1: "online", h2: "online", h3: "online" },
  { web: "started", db: "started", batch: "started", spare: "stopped" },
);

describe("agent metrics", () => {
  it("lease renewal age and TTL are read from the heartbeat when scraped", async () => {
    const m = new AgentMetrics("h1");
    let status: LeaseStatus = { id: "7", generation: 1, lastAckSentAt: 1000, ttlMs: 1000 };
    let now = 1300;
    m.observeLease(
      () => status,
      () => now,
    );
    assert.deepEqual(await samples(m, "vmha_lease_ack_age_seconds"), { "": 0.3 });
    assert.deepEqual(await samples(m, "vmha_lease_ttl_seconds"), { "": 1 });
    now = 2800;
    assert.deepEqual(await samples(m, "vmha_lease_ack_age_seconds"), { "": 1.8 });
    // no lease at all (never acknowledged): infinitely old, TTL 0
    status = { id: "", generation: 0, lastAckSentAt: Number.NEGATIVE_INFINITY, ttlMs: 0 };
    assert.deepEqual(await samples(m, "vmha_lease_ack_age_seconds"), { "": Number.POSITIVE_INFINITY });
    assert.deepEqual(await samples(m, "vmha_lease_ttl_seconds"), { "": 0 });
    assert.match(await m.registry.metrics(), /^vmha_lease_ack_age_seconds\{agent_host="h1"\} \+Inf$/m);
  });

  it("the primary exports failover headroom and resource states from its last read", async () => {
    const m = new AgentMetrics("h1");
    const degraded = manager(
      { h1: "online", h2: "online", h3: "fenced" },
      { web: "started", db: "recovering", batch: "error", spare: "stopped" },
    );
    const store = m.observeStore(
      fakeStore([
        view({ primary: "h1", leases: ["h1", "h2", "h3"], manager: healthy }),
        view({ primary: "h1", leases: ["h1", "h2"], manager: degraded }),
      ]),
    );
    await store.read();
    // 24 cpu, 12 reserved by the three admitted: losing the largest host leaves 16, two leave 8
    assert.deepEqual(await samples(m, "vmha_failover_tolerated_host_failures"), { "policy=hostFailures": 1 });
    assert.deepEqual(await samples(m, "vmha_admission_required_host_failures"), { "policy=hostFailures": 1 });
    assert.equal((await samples(m, "vmha_resource_state"))["resource=web,state=started"], 1);
    await store.read();
    // h3 fenced: two hosts left, losing one leaves 8 cpu for 12 reserved
    assert.deepEqual(await samples(m, "vmha_failover_tolerated_host_failures"), { "policy=hostFailures": 0 });
    assert.deepEqual(await samples(m, "vmha_resource_state"), {
      "resource=batch,state=error": 1,
      "resource=db,state=recovering": 1,
      "resource=spare,state=stopped": 1,
      "resource=web,state=started": 1,
    });
  });

  it("an agent that is not the primary, or whose last read failed, exports no cluster-wide gauges", async () => {
    const m = new AgentMetrics("h2");
    const store = m.observeStore(
      fakeStore([
        view({ primary: "h1", leases: ["h1", "h2", "h3"], manager: healthy }),
        view({ primary: "h2", leases: ["h1", "h2", "h3"], manager: healthy }),
        new Error("store unreachable"),
      ]),
    );
    await store.read();
    assert.deepEqual(await samples(m, "vmha_failover_tolerated_host_failures"), {});
    assert.deepEqual(await samples(m, "vmha_resource_state"), {});
    await store.read();
    assert.deepEqual(await samples(m, "vmha_failover_tolerated_host_failures"), { "policy=hostFailures": 1 });
    await assert.rejects(store.read(), /store unreachable/);
    assert.deepEqual(await samples(m, "vmha_failover_tolerated_host_failures"), {});
    assert.deepEqual(await samples(m, "vmha_admission_required_host_failures"), {});
    assert.deepEqual(await samples(m, "vmha_resource_state"), {});
  });

  it("what each admission policy promises to absorb", () => {
    assert.equal(requiredHostFailures({ policy: "hostFailures", hostFailures: 2 }), 2);
    assert.equal(requiredHostFailures({ policy: "percentage", cpuPercent: 25, memoryPercent: 25 }), 1);
    assert.equal(requiredHostFailures({ policy: "dedicatedHosts", hosts: ["h3"] }), 1);
    assert.equal(requiredHostFailures({ policy: "disabled" }), 0);
  });

  it("isolation responses are counted from the core's isolation line, once per episode", async () => {
    const m = new AgentMetrics("h3");
    const log = new AgentLogger("h3", m, undefined, "fatal");
    assert.deepEqual(await samples(m, "vmha_isolations_total"), { "": 0 });
    log.log({
      level: "warn",
      host: "h3",
      subject: "isolation",
      message: "lease lost: isolation response (stop web, kill -, keep -)",
    });
    // the sentences that follow while isolated are not new episodes
    log.log({
      level: "info",
      host: "h3",
      subject: "sentence",
      message: "h3: isolated (lease lost); stopping web",
    });
    assert.deepEqual(await samples(m, "vmha_isolations_total"), { "": 1 });
  });
});
