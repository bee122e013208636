import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkAdmission, headroom, parseSpec, toleratedFailures } from "../../../provider/runtime/core";

function cluster(admissionControl: unknown) {
  return parseSpec({
    version: 1,
    name: "c",
    admissionControl,
    hosts: {
      h1: { cpu: 8, memoryMiB: 16384 },
      h2: { cpu: 8, memoryMiB: 16384 },
      h3: { cpu: 16, memoryMiB: 32768 },
    },
  });
}
const all = ["h1", "h2", "h3"];

describe("admission control", () => {
  it("hostFailures: capacity after losing the largest host(s), reason names the numbers", () => {
    const s = cluster({ policy: "hostFailures", hostFailures: 1 });
    // 32 cpu total, largest host 16 -> 16 admissible
    assert.deepEqual(checkAdmission(s, all, { cpu: 10, mem: 0 }, "x", { cpu: 6, mem: 1024 }), { ok: true });
    const v = checkAdmission(s, all, { cpu: 12, mem: 0 }, "web", { cpu: 6, mem: 1024 });
    assert.equal(v.ok, false);
    assert.match(
      v.reason!,
      /refused web: it needs 6 cpu \/ 1024 MiB, protected resources would then reserve 18 cpu/,
    );
    assert.match(
      v.reason!,
      /only 16 cpu \/ 32768 MiB may be used after losing the 1 largest of 3 online host/,
    );
  });

  it("percentage: keeps the given share in reserve", () => {
    const s = cluster({ policy: "percentage", cpuPercent: 25, memoryPercent: 50 });
    assert.equal(checkAdmission(s, all, { cpu: 24, mem: 0 }, "a", { cpu: 0, mem: 0 }).ok, true);
    const v = checkAdmission(s, all, { cpu: 24, mem: 0 }, "a", { cpu: 1, mem: 0 });
    assert.match(v.reason!, /only 24 cpu \/ 32768 MiB may be used keeping 25% cpu \/ 50% memory of 32 cpu/);
  });

  it("dedicatedHosts: failover hosts do not count for admission", () => {
    const s = cluster({ policy: "dedicatedHosts", hosts: ["h3"] });
    assert.equal(checkAdmission(s, all, { cpu: 16, mem: 0 }, "a", { cpu: 0, mem: 0 }).ok, true);
    assert.equal(checkAdmission(s, all, { cpu: 16, mem: 0 }, "a", { cpu: 1, mem: 0 }).ok, false);
  });

  it("disabled: anything goes", () => {
    const s = cluster({ policy: "disabled" });
    assert.equal(checkAdmission(s, all, { cpu: 1000, mem: 1e9 }, "a", { cpu: 1, mem: 1 }).ok, true);
  });

  it("reports failover headroom as tolerated host failures", () => {
    const s = cluster({ policy: "hostFailures", hostFailures: 1 });
    assert.equal(toleratedFailures(s, all, { cpu: 8, mem: 0 }), 2);
    assert.equal(toleratedFailures(s, all, { cpu: 17, mem: 0 }), 0);
    assert.match(
      headroom(s, all, { cpu: 10, mem: 4096 }),
      /tolerates 1 host failure\(s\) \(policy needs 1\); 6 cpu \/ 28672 MiB admissible/,
    );
  });
});
