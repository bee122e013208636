// Every Hyper-V resource through the real engine (program on disk: tests/e2e/hyperv/program) against the WSFC simulator:
// create with every option, in-place updates, check failures that name the field, admission
// control refusing in check(), secrets that never reach the state, hostile names, replace, delete.
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import {
  diffsOf,
  previewRefresh,
  programStack,
  ROOT,
  stateText,
  type TestStack,
  up,
} from "../../support/engine";
import { newSim, type Sim } from "../../support/wsfc-sim/fixture";
import type { Desired } from "./program/index";

const HOSTILE = "web 'edge' $(Stop-Computer) `; \"x\" \n 東京 ✓";
const KEY = "cloud-witness-key-must-stay-secret==";

let desired: Desired;

/** Writes the desired state into the stack config the program reads. */
async function apply(s: TestStack) {
  const { cloudWitnessAccessKey, ...cluster } = desired.cluster as typeof desired.cluster & {
    cloudWitnessAccessKey?: string;
  };
  await s.stack.setConfig("desired", { value: JSON.stringify({ ...desired, cluster }) });
  if (cloudWitnessAccessKey)
    await s.stack.setConfig("witnessKey", { value: cloudWitnessAccessKey, secret: true });
  else await s.stack.removeConfig("witnessKey").catch(() => {});
  return up(s);
}

const baseCluster = () => ({
  name: "HV-Cluster",
  nodes: ["HV1", "HV2", "HV3"],
  staticAddresses: ["192.168.1.200"],
  quorum: { type: "none" as const },
  heartbeat: { sameSubnetDelayMs: 1000, sameSubnetThreshold: 10 },
  failuresToTolerate: 1,
});

describe("hyperv resources through the real engine", () => {
  let sim: Sim;
  let s: TestStack;
  before(async () => {
    sim = newSim({
      nodes: ["HV1", "HV2", "HV3", "HV4"],
      memoryGb: 64,
      vms: { VM1: 8, VM2: 2, [HOSTILE]: 4, Huge: 120 },
    });
    sim.activate();
    s = await programStack(path.join(ROOT, "tests", "e2e", "hyperv", "program"));
  });
  after(async () => {
    await s?.dispose();
    sim?.dispose();
  });

  it("creates a cluster, S2D, a CSV, VM roles with every option (one with a hostile name) and CAU", async () => {
    desired = {
      cluster: baseCluster(),
      volumeGb: 512,
      roles: [
        {
          name: "vm1",
          args: {
            vmName: "VM1",
            priority: "High",
            preferredOwners: ["HV1", "HV2"],
            antiAffinityClassNames: ["web"],
            failoverThreshold: 2,
            failoverPeriodHours: 6,
            failback: { allowed: true, windowStartHour: 22, windowEndHour: 4 },
            monitoredServices: ["W3SVC", "WAS"],
            monitoredEvents: [{ log: "System", source: "Service Control Manager", eventId: 7031 }],
            failuresToTolerate: 1,
          },
        },
        { name: "hostile", args: { vmName: HOSTILE, priority: "Low", antiAffinityClassNames: ["web"] } },
      ],
      cau: {
        daysOfWeek: ["Tuesday"],
        weeksOfMonth: [2],
        maxFailedNodes: 0,
        startDate: "2026-12-08T03:00:00Z",
      },
    };
    const o = await apply(s);
    assert.equal(o.error, undefined, `${o.error}\n${o.diagnostics.join("\n")}`);
    const c = sim.world().clusters["HV-Cluster"]!;
    assert.deepEqual(c.groups["VM1"], {
      vm: "VM1",
      ownerNode: "HV1",
      state: "Online",
      priority: 3000,
      autoFailbackType: 1,
      failbackWindowStart: 22,
      failbackWindowEnd: 4,
      failoverThreshold: 2,
      failoverPeriod: 6,
      antiAffinityClassNames: ["web"],
      preferredOwners: ["HV1", "HV2"],
      monitored: [
        { type: "Service", name: "W3SVC" },
        { type: "Service", name: "WAS" },
        {
          type: "Event",
          name: "System,Service Control Manager,7031",
          eventLog: "System",
          eventSource: "Service Control Manager",
          eventId: 7031,
        },
      ],
    });
    assert.equal(c.groups[HOSTILE]?.vm, HOSTILE, "the hostile VM name must arrive as literal data");
    assert.equal(c.groups[HOSTILE]?.priority, 1000);
    assert.equal(c.disks["Cluster Virtual Disk (VMs)"]?.sizeBytes, 512 * 2 ** 30);
  });

  it("updates in place: heartbeat, a joining node, a cloud witness whose key stays secret, role options, CSV growth, CAU", async () => {
    desired.cluster = {
      ...baseCluster(),
      nodes: ["HV1", "HV2", "HV3", "HV4"],
      heartbeat: { sameSubnetDelayMs: 2000, sameSubnetThreshold: 20 },
      quorum: { type: "cloud", accountName: "vmhawitness" },
      cloudWitnessAccessKey: KEY,
    };
    desired.volumeGb = 1024;
    desired.roles[0]!.args = {
      ...desired.roles[0]!.args,
      priority: "Medium",
      preferredOwners: ["HV3"],
      antiAffinityClassNames: ["web", "tier1"],
      monitoredServices: ["W3SVC"],
      monitoredEvents: [],
      failback: { allowed: false },
    };
    desired.cau = { ...desired.cau!, daysOfWeek: ["Saturday", "Sunday"], maxFailedNodes: 1 };
    const o = await apply(s);
    assert.equal(o.error, undefined, `${o.error}\n${o.diagnostics.join("\n")}`);
    for (const n of ["hv", "vol", "vm1", "cau"]) assert.deepEqual(o.ops.get(n), ["update"], n);
    assert.deepEqual(diffsOf(o, "hv"), ["cloudWitnessAccessKey", "heartbeat", "nodes", "quorum"]);
    const c = sim.world().clusters["HV-Cluster"]!;
    assert.deepEqual(Object.keys(c.nodes), ["HV1", "HV2", "HV3", "HV4"]);
    assert.equal(c.sameSubnetDelay, 2000);
    assert.equal(c.quorum.type, "Cloud");
    assert.equal(c.quorum.params.AccountName, "vmhawitness");
    assert.equal(c.disks["Cluster Virtual Disk (VMs)"]?.sizeBytes, 1024 * 2 ** 30);
    const g = c.groups["VM1"]!;
    assert.deepEqual(
      [g.priority, g.preferredOwners, g.antiAffinityClassNames, g.autoFailbackType, g.failbackWindowStart],
      [2000, ["HV3"], ["web", "tier1"], 0, -1],
    );
    assert.deepEqual(g.monitored, [{ type: "Service", name: "W3SVC" }]);
    assert.deepEqual(c.cau?.daysOfWeek, ["Saturday", "Sunday"]);
    assert.ok(!stateText(s).includes(KEY), "the cloud witness key leaked into the state file");
  });

  it("previews no changes after the updates (live order and case do not read as drift)", async () => {
    const o = await previewRefresh(s);
    assert.equal(o.error, undefined, o.error);
    for (const [name, ops] of o.ops)
      assert.ok(
        ops.every((op) => op === "same" || op === "refresh"),
        `${name}: ${ops.join(",")} ${diffsOf(o, name).join(",")}`,
      );
  });

  it("fails check with one failure per bad field, naming it, and changes nothing", async () => {
    const before = JSON.stringify(sim.world().clusters);
    desired.cluster = {
      ...desired.cluster,
      name: "HV_Cluster!",
      staticAddresses: ["192.168.1.300"],
      failuresToTolerate: 4,
    } as typeof desired.cluster;
    const o = await apply(s);
    assert.ok(o.error, "up should fail");
    const text = o.diagnostics.join("\n");
    assert.match(text, /property name value .* has a problem: must be a NetBIOS name/);
    assert.match(text, /property staticAddresses\[0\] value .* has a problem: must be an IPv4 address/);
    assert.match(
      text,
      /property failuresToTolerate value .* has a problem: must be less than the number of nodes \(4\)/,
    );
    assert.equal(JSON.stringify(sim.world().clusters), before);
  });

  it("refuses a VM role in check() when it would not fit after the tolerated failures", async () => {
    desired.cluster = {
      ...baseCluster(),
      nodes: ["HV1", "HV2", "HV3", "HV4"],
      quorum: { type: "cloud", accountName: "vmhawitness" },
      cloudWitnessAccessKey: KEY,
      heartbeat: { sameSubnetDelayMs: 2000, sameSubnetThreshold: 20 },
    };
    desired.roles.push({ name: "huge", args: { vmName: "Huge", failuresToTolerate: 2 } });
    const o = await apply(s);
    assert.ok(o.error, "up should fail");
    assert.match(
      o.diagnostics.join("\n"),
      /'huge': property failuresToTolerate value .* has a problem: admission control refuses VM 'Huge' \(122880 MiB\): the 3 VM role\(s\) of cluster HV-Cluster need 135168 MiB, but after 2 node failure\(s\) \(losing HV1 with 65536 MiB, HV2 with 65536 MiB\) the remaining 2 node\(s\) offer 131072 MiB/,
    );
    assert.equal(sim.world().clusters["HV-Cluster"]!.groups["Huge"], undefined);
    desired.roles.pop();
  });

  it("refuses to shrink a volume in check()", async () => {
    desired.volumeGb = 100;
    const o = await apply(s);
    assert.ok(o.error);
    assert.match(
      o.diagnostics.join("\n"),
      /'vol': property sizeGb value .* has a problem: cannot shrink a volume \(1024 GiB -> 100 GiB\)/,
    );
    desired.volumeGb = 1024;
  });

  it("replaces a role when its VM changes and deletes what leaves the program", async () => {
    desired.roles = [{ name: "vm1", args: { ...desired.roles[0]!.args, vmName: "VM2" } }];
    desired.cau = undefined;
    desired.volumeGb = undefined;
    const o = await apply(s);
    assert.equal(o.error, undefined, `${o.error}\n${o.diagnostics.join("\n")}`);
    assert.deepEqual(o.ops.get("vm1"), ["delete-replaced", "replace", "create-replacement"]);
    assert.deepEqual(o.ops.get("hostile"), ["delete"]);
    const c = sim.world().clusters["HV-Cluster"]!;
    assert.deepEqual(Object.keys(c.groups), ["VM2"]);
    assert.equal(c.cau, undefined);
    assert.equal(c.disks["Cluster Virtual Disk (VMs)"], undefined);
    assert.deepEqual(c.virtualDisks, {});
  });
});
