import * as assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  admissionProblem,
  commonFromEntry,
  type EntryInputs,
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

  it("reports an invalid would-be spec instead of admitting it", () => {
    assert.match(
      admissionProblem(doc(), "web", { kind: "vm", placement: { bannedHosts: ["h9"] } }) ?? "",
      /names host h9/,
    );
  });
});
