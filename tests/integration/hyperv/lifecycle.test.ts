// The Hyper-V resource definitions called directly, through the real node-powershell and the
// WSFC simulator: every platform path and error message, faster than through the engine.
import * as assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { definition as cau } from "../../../provider/hyperv/resources/cluster-aware-updating";
import { definition as csv } from "../../../provider/hyperv/resources/cluster-shared-volume";
import { definition as cluster } from "../../../provider/hyperv/resources/failover-cluster";
import { definition as s2d } from "../../../provider/hyperv/resources/storage-spaces-direct";
import { definition as role } from "../../../provider/hyperv/resources/vm-role";
import { closeSessions } from "../../../provider/hyperv/session";
import { adminShell, newSim, type Sim } from "../../support/wsfc-sim/fixture";
import { testContext } from "./context";

describe("hyperv resources against the WSFC simulator (direct calls)", () => {
  let sim: Sim;
  const progress: string[] = [];
  let sqlInputs: ReturnType<typeof role.inputs.parse>;
  const ctx = testContext({}, progress);
  before(() => {
    sim = newSim({ vms: { VM1: 4, "SQL 'prod'": 8 } });
    sim.activate();
  });
  after(async () => {
    await closeSessions();
    sim.dispose();
  });

  const clusterInputs = () =>
    cluster.inputs.parse({
      name: "HV-Cluster",
      nodes: ["HV1", "HV2", "HV3"],
      staticAddresses: ["192.168.1.200"],
      quorum: { type: "fileShare", path: "\\\\fs01\\witness" },
      heartbeat: { sameSubnetDelayMs: 2000, crossSubnetThreshold: 40 },
      failuresToTolerate: 1,
    });

  it("creates a cluster: installs the feature, validates, sets quorum and heartbeat", async () => {
    const r = await cluster.create(clusterInputs(), ctx);
    assert.equal(r.id, "HV-Cluster");
    assert.deepEqual(r.outputs.featureInstalledOn, ["HV1", "HV2", "HV3"]);
    const c = sim.world().clusters["HV-Cluster"]!;
    assert.deepEqual(Object.keys(c.nodes), ["HV1", "HV2", "HV3"]);
    assert.equal(c.sameSubnetDelay, 2000);
    assert.equal(c.crossSubnetThreshold, 40);
    assert.deepEqual(c.quorum, {
      type: "FileShare",
      resource: "File Share Witness",
      params: { SharePath: "\\\\fs01\\witness" },
    });
    const live = await cluster.read("HV-Cluster", { inputs: clusterInputs(), outputs: r.outputs }, ctx);
    assert.deepEqual(live?.inputs, clusterInputs());
  });

  it("enables S2D, creates a CSV volume and makes VMs highly available with every option", async () => {
    await s2d.create(s2d.inputs.parse({ cluster: "HV-Cluster" }), ctx);
    const v = await csv.create(
      csv.inputs.parse({ cluster: "HV-Cluster", friendlyName: "Volume1", sizeGb: 1024 }),
      ctx,
    );
    assert.deepEqual(v.outputs, {
      csvName: "Cluster Virtual Disk (Volume1)",
      path: "C:\\ClusterStorage\\Volume1",
      sizeBytes: 1024 * 2 ** 30,
    });
    const inputs = role.inputs.parse({
      cluster: "HV-Cluster",
      vmName: "SQL 'prod'",
      priority: "High",
      preferredOwners: ["HV2", "HV1"],
      antiAffinityClassNames: ["sql $(whoami)", "tier`1; rm -rf /"],
      failoverThreshold: 3,
      failoverPeriodHours: 2,
      failback: { allowed: true, windowStartHour: 1, windowEndHour: 5 },
      monitoredServices: ["MSSQLSERVER"],
      monitoredEvents: [{ log: "System", source: "Service Control Manager", eventId: 7031 }],
      failuresToTolerate: 1,
    });
    sqlInputs = inputs;
    const r = await role.create(inputs, ctx);
    assert.equal(r.outputs.groupName, "SQL 'prod'");
    const g = sim.world().clusters["HV-Cluster"]!.groups["SQL 'prod'"]!;
    assert.equal(g.priority, 3000);
    assert.deepEqual(g.preferredOwners, ["HV2", "HV1"]);
    assert.deepEqual(g.antiAffinityClassNames, ["sql $(whoami)", "tier`1; rm -rf /"]);
    assert.equal(g.autoFailbackType, 1);
    assert.equal(g.failbackWindowStart, 1);
    const live = await role.read(r.id, { inputs, outputs: r.outputs }, ctx);
    assert.deepEqual(live?.inputs, inputs);
  });

  it("refuses a VM role that would not fit after the tolerated failures, with the numbers", async () => {
    sim.edit((w) => {
      w.machines["HV1"]!.vms["Big"] = { id: "big", memoryStartupBytes: 124 * 2 ** 30 };
    });
    const inputs = role.inputs.parse({ cluster: "HV-Cluster", vmName: "Big", failuresToTolerate: 1 });
    const failures = await role.validate!(inputs, ctx);
    assert.equal(failures.length, 1);
    assert.equal(failures[0]!.property, "failuresToTolerate");
    assert.match(
      failures[0]!.reason,
      /refuses VM 'Big' \(126976 MiB\).*need 135168 MiB.*after 1 node failure\(s\) \(losing HV1 with 65536 MiB\) the remaining 2 node\(s\) offer 131072 MiB/,
    );
    await assert.rejects(role.create(inputs, ctx), /admission control refuses VM 'Big'/);
    assert.equal(sim.world().clusters["HV-Cluster"]!.groups["Big"], undefined);
  });

  it("does not report a failover or a paused node as drift, but does report a changed priority", async () => {
    const admin = await adminShell(sim);
    try {
      await admin.run("$null = Suspend-ClusterNode -Cluster 'HV-Cluster' -Name 'HV1' -Drain");
      await admin.run("$null = Move-ClusterGroup -Cluster 'HV-Cluster' -Name 'SQL ''prod''' -Node 'HV3'");
      const ci = clusterInputs();
      const liveC = await cluster.read(
        "HV-Cluster",
        {
          inputs: ci,
          outputs: { clusterId: "", validationReport: "", validationWarnings: [], featureInstalledOn: [] },
        },
        ctx,
      );
      assert.deepEqual(liveC?.inputs.nodes, ["HV1", "HV2", "HV3"]);
      await admin.run("(Get-ClusterGroup -Cluster 'HV-Cluster' -Name 'SQL ''prod''').Priority = 1000");
      const ri = role.inputs.parse({ cluster: "HV-Cluster", vmName: "SQL 'prod'", priority: "High" });
      const liveR = await role.read("SQL 'prod'", { inputs: ri, outputs: { groupName: "", vmId: "" } }, ctx);
      assert.equal(liveR?.inputs.priority, "Low");
    } finally {
      await admin.close();
    }
  });

  it("evicts and re-adds a node, and changes the S2D cache in place", async () => {
    const old = clusterInputs();
    const prev = { clusterId: "", validationReport: "", validationWarnings: [], featureInstalledOn: [] };
    const fewer = cluster.inputs.parse({ ...old, nodes: ["HV1", "HV2"] });
    await cluster.update!("HV-Cluster", { inputs: old, outputs: prev }, fewer, ctx);
    assert.deepEqual(Object.keys(sim.world().clusters["HV-Cluster"]!.nodes), ["HV1", "HV2"]);
    const live = await cluster.read("HV-Cluster", { inputs: old, outputs: prev }, ctx);
    assert.deepEqual(live?.inputs.nodes, ["HV1", "HV2"], "an evicted node is drift");
    await cluster.update!("HV-Cluster", { inputs: fewer, outputs: prev }, old, ctx);
    assert.deepEqual(Object.keys(sim.world().clusters["HV-Cluster"]!.nodes), ["HV1", "HV2", "HV3"]);
    const si = s2d.inputs.parse({ cluster: "HV-Cluster" });
    const so = { poolName: "S2D on HV-Cluster", poolSizeBytes: 0 };
    await s2d.update!("HV-Cluster", { inputs: si, outputs: so }, { ...si, cacheState: "Disabled" }, ctx);
    assert.equal(sim.world().clusters["HV-Cluster"]!.s2d?.cacheState, "Disabled");
    assert.equal(
      (await s2d.read("HV-Cluster", { inputs: si, outputs: so }, ctx))?.inputs.cacheState,
      "Disabled",
    );
    await s2d.update!("HV-Cluster", { inputs: { ...si, cacheState: "Disabled" }, outputs: so }, si, ctx);
  });

  it("switches to a disk witness and adds an available disk as a CSV", async () => {
    const old = clusterInputs();
    const news = cluster.inputs.parse({ ...old, quorum: { type: "disk", disk: "Cluster Disk 2" } });
    const prev = { clusterId: "", validationReport: "", validationWarnings: [], featureInstalledOn: [] };
    await cluster.update!("HV-Cluster", { inputs: old, outputs: prev }, news, ctx);
    const c = () => sim.world().clusters["HV-Cluster"]!;
    assert.deepEqual(c().quorum, { type: "Disk", resource: "Cluster Disk 2", params: {} });
    assert.deepEqual(
      (await cluster.read("HV-Cluster", { inputs: news, outputs: prev }, ctx))?.inputs.quorum,
      news.quorum,
    );
    const di = csv.inputs.parse({ cluster: "HV-Cluster", disk: "Cluster Disk 1" });
    const d = await csv.create(di, ctx);
    assert.deepEqual(d.outputs, {
      csvName: "Cluster Disk 1", // Volume1 is the pool volume's mount point
      path: "C:\\ClusterStorage\\Volume2",
      sizeBytes: 500 * 2 ** 30,
    });
    assert.equal(c().disks["Cluster Disk 1"]?.csv, true);
    await assert.rejects(
      csv.create(csv.inputs.parse({ cluster: "HV-Cluster", disk: "Cluster Disk 2" }), ctx),
      /Add-ClusterSharedVolume failed for 'Cluster Disk 2': Disk Cluster Disk 2 is the quorum witness/,
    );
    await csv.delete(d.id, { inputs: di, outputs: d.outputs }, ctx);
    assert.equal(
      c().disks["Cluster Disk 1"]?.csv,
      false,
      "removing the CSV returns the disk to Available Storage",
    );
    await cluster.update!("HV-Cluster", { inputs: news, outputs: prev }, old, ctx);
  });

  it("updates against the live state, not a stale stored one (up without --refresh)", async () => {
    const admin = await adminShell(sim);
    try {
      await admin.run(
        "$null = Remove-ClusterVMMonitoredItem -Cluster 'HV-Cluster' -VirtualMachine 'SQL ''prod''' -Service 'MSSQLSERVER'",
      );
    } finally {
      await admin.close();
    }
    // The stored inputs still claim MSSQLSERVER is monitored; the update must add it back.
    await role.update!(
      "SQL 'prod'",
      { inputs: sqlInputs, outputs: { groupName: "", vmId: "" } },
      sqlInputs,
      ctx,
    );
    const g = sim.world().clusters["HV-Cluster"]!.groups["SQL 'prod'"]!;
    assert.ok(g.monitored.some((m) => m.type === "Service" && m.name === "MSSQLSERVER"));
  });

  it("adds the CAU role with its schedule and reads it back (5.1 dates and day flags)", async () => {
    const inputs = cau.inputs.parse({
      cluster: "HV-Cluster",
      daysOfWeek: ["Tuesday", "Saturday"],
      weeksOfMonth: [2, 4],
      maxFailedNodes: 1,
      startDate: "2026-12-01T03:00:00Z",
    });
    const r = await cau.create(inputs, ctx);
    assert.equal(r.outputs.resourceGroupName, "CAUHV-Clusterrg");
    const live = await cau.read("HV-Cluster", { inputs, outputs: r.outputs }, ctx);
    assert.deepEqual(live?.inputs, inputs);
  });

  it("refuses to create a cluster when Test-Cluster reports failures, showing them", async () => {
    sim.edit((w) => {
      w.machines["HV4"] = { features: ["Failover-Clustering"], memoryBytes: 2 ** 36, vms: {} };
      w.validation.failures = ["Network - Validate Network Communication: The test failed."];
    });
    const inputs = cluster.inputs.parse({ name: "HV-Two", nodes: ["HV4"] });
    await assert.rejects(cluster.create(inputs, ctx), (e: Error) => {
      assert.match(e.message, /Test-Cluster reported failures, refusing to continue/);
      assert.match(e.message, /Validate Network Communication: The test failed/);
      return true;
    });
    assert.equal(sim.world().clusters["HV-Two"], undefined);
    sim.edit((w) => {
      w.validation.failures = [];
    });
  });

  it("names the cmdlet and the object when PowerShell fails", async () => {
    const inputs = role.inputs.parse({ cluster: "HV-Cluster", vmName: "NoSuchVM" });
    await assert.rejects(
      role.create(inputs, ctx),
      /make VM 'NoSuchVM' highly available in cluster 'HV-Cluster': Add-ClusterVirtualMachineRole failed for 'NoSuchVM': .*not found/,
    );
  });

  it("deletes in dependency order and reports absent objects as gone", async () => {
    await cau.delete(
      "HV-Cluster",
      {
        inputs: cau.inputs.parse({ cluster: "HV-Cluster", daysOfWeek: ["Tuesday"] }),
        outputs: { resourceGroupName: "" },
      },
      ctx,
    );
    const ri = role.inputs.parse({ cluster: "HV-Cluster", vmName: "SQL 'prod'" });
    await role.delete("SQL 'prod'", { inputs: ri, outputs: { groupName: "", vmId: "" } }, ctx);
    assert.equal(
      await role.read("SQL 'prod'", { inputs: ri, outputs: { groupName: "", vmId: "" } }, ctx),
      undefined,
    );
    const vi = csv.inputs.parse({ cluster: "HV-Cluster", friendlyName: "Volume1", sizeGb: 1024 });
    await assert.rejects(
      s2d.delete(
        "HV-Cluster",
        { inputs: s2d.inputs.parse({ cluster: "HV-Cluster" }), outputs: { poolName: "", poolSizeBytes: 0 } },
        ctx,
      ),
      /the S2D pool still holds volume\(s\) 'Volume1'; delete them before disabling Storage Spaces Direct/,
    );
    await csv.delete(
      "Cluster Virtual Disk (Volume1)",
      { inputs: vi, outputs: { csvName: "", path: "", sizeBytes: 0 } },
      ctx,
    );
    await s2d.delete(
      "HV-Cluster",
      { inputs: s2d.inputs.parse({ cluster: "HV-Cluster" }), outputs: { poolName: "", poolSizeBytes: 0 } },
      ctx,
    );
    const admin = await adminShell(sim);
    try {
      await admin.run("$null = Add-ClusterVirtualMachineRole -Cluster 'HV-Cluster' -VMName 'VM1'");
      await assert.rejects(
        cluster.delete(
          "HV-Cluster",
          {
            inputs: clusterInputs(),
            outputs: { clusterId: "", validationReport: "", validationWarnings: [], featureInstalledOn: [] },
          },
          ctx,
        ),
        /cluster 'HV-Cluster' still hosts VM role\(s\) 'VM1'; removing the cluster would leave those VMs without failover/,
      );
      await admin.run(
        "$null = Remove-ClusterGroup -Cluster 'HV-Cluster' -Name 'VM1' -RemoveResources -Force",
      );
    } finally {
      await admin.close();
    }
    await cluster.delete(
      "HV-Cluster",
      {
        inputs: clusterInputs(),
        outputs: { clusterId: "", validationReport: "", validationWarnings: [], featureInstalledOn: [] },
      },
      ctx,
    );
    assert.deepEqual(Object.keys(sim.world().clusters), []);
    assert.equal(
      await cluster.read(
        "HV-Cluster",
        {
          inputs: clusterInputs(),
          outputs: { clusterId: "", validationReport: "", validationWarnings: [], featureInstalledOn: [] },
        },
        ctx,
      ),
      undefined,
    );
  });
});
