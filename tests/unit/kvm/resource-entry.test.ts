import * as assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  admissionProblem,
  commonFromEntry,
  type EntryInputs,
  entryProblems,
  toEntry,
} from "../../../provider/kvm/resource-entry";
import type { RawSpec } from "../../../provider/kvm/spec-store";

const doc = (resources: Record<string, unknown> = {}, defaults?: Record<string, unknown>): RawSpec =>
  ({
    version: 1,
    name: "c",
    hosts: { h1: { cpu: 4, memoryMiB: 4096 }, h2: { cpu: 4, memoryMiB: 4096 } },
    admissionControl: { policy: "hostFailures", hostFailures: 1 },
    resources,
    ...(defaults ? { defaults } : {}),
  }) as RawSpec;

const base: EntryInputs = {
  cluster: "c",
  etcd: { endpoints: ["127.0.0.1:2379"] },
  name: "web",
  state: "started",
};

describe("resource entries", () => {
  it("fills unset fields from the cluster defaults and takes them out again on read", () => {
    const e = toEntry(
      { ...base, monitoring: { intervalMs: 500 } },
      { kind: "vm" },
      doc({}, { isolationResponse: "kill", maxRestarts: 7 }),
    );
    assert.equal(e.isolationResponse, "kill");
    assert.deepEqual(e.monitoring, { intervalMs: 500, maxRestarts: 7 });
    assert.deepEqual(commonFromEntry(e), { state: "started", monitoring: { intervalMs: 500 } });
  });

  it("keeps what the program set over the defaults", () => {
    const e = toEntry(
      { ...base, isolationResponse: "none", monitoring: { maxRestarts: 1 } },
      { kind: "vm" },
      doc({}, { isolationResponse: "kill", maxRestarts: 7 }),
    );
    assert.equal(e.isolationResponse, "none");
    assert.deepEqual(commonFromEntry(e), {
      state: "started",
      isolationResponse: "none",
      monitoring: { maxRestarts: 1 },
    });
  });

  it("admission control counts only started resources and names the numbers", () => {
    const others = {
      a: { kind: "vm", reservation: { cpu: 3, memoryMiB: 1024 } },
      b: { kind: "vm", state: "stopped", reservation: { cpu: 4, memoryMiB: 4096 } },
    };
    assert.equal(
      admissionProblem(doc(others), "web", { kind: "vm", reservation: { cpu: 1, memoryMiB: 1024 } }),
      undefined,
    );
    assert.match(
      admissionProblem(doc(others), "web", { kind: "vm", reservation: { cpu: 1.5, memoryMiB: 1024 } }) ?? "",
      /refused web: it needs 1\.5 cpu \/ 1024 MiB, protected resources would then reserve 4\.5 cpu \/ 2048 MiB, but only 4 cpu \/ 4096 MiB/,
    );
    assert.equal(
      admissionProblem(doc(others), "web", {
        kind: "vm",
        state: "stopped",
        reservation: { cpu: 99, memoryMiB: 1 },
      }),
      undefined,
    );
  });

  it("reports an invalid would-be spec on the property the user wrote", () => {
    assert.deepEqual(
      entryProblems(doc(), "web", { kind: "vm", placement: { antiAffinityGroup: "Bad Name" } }).map(
        (f) => f.property,
      ),
      ["placement.antiAffinityGroup"],
    );
  });

  // Review finding 5 (repro t4): the stack has the cluster and `web`; one `pulumi up` adds `web2`
  // and a VIP colocated with it. At the VIP's check, web2 is not in etcd yet.
  it("does not refuse, at check, a reference to a resource created in the same update", () => {
    const prod = {
      ...doc({ web: { kind: "vm", params: { domainXml: "<domain><name>web</name></domain>" } } }),
      hosts: { kvm1: { cpu: 32, memoryMiB: 262144 }, kvm2: { cpu: 32, memoryMiB: 262144 } },
    } as RawSpec;
    const vip = toEntry(
      { ...base, name: "vip2", placement: { colocateWith: ["web2"] } },
      { kind: "ip", agent: "ocf:heartbeat:IPaddr2", params: { ip: "192.0.2.11", cidr_netmask: "24" } },
      prod,
    );
    assert.equal(admissionProblem(prod, "vip2", vip), undefined);
    assert.deepEqual(entryProblems(prod, "vip2", vip), []);
  });

  it("still applies admission control to an entry whose references are deferred", () => {
    const e = { kind: "vm", placement: { after: ["later"] }, reservation: { cpu: 5, memoryMiB: 1024 } };
    assert.deepEqual(
      entryProblems(doc(), "web", e).map((f) => f.property),
      ["reservation"],
    );
  });

  it("reports a start-order cycle on placement", () => {
    const others = { db: { kind: "vm", placement: { after: ["web"] } } };
    const f = entryProblems(doc(others), "web", { kind: "vm", placement: { after: ["db"] } });
    assert.deepEqual(
      f.map((x) => x.property),
      ["placement"],
    );
    assert.match(f[0]!.reason, /cycle: .*web.*db/);
  });
});
