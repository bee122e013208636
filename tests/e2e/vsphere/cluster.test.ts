// vSphere clusters through the real engine on dassim: create with new and moved hosts (the ESXi
// password never reaches the state file), rename and add a host in place, refuse to delete a
// cluster holding hosts unless forceDestroy; check failures that name the field; bad credentials,
// unknown datacenter and unknown host fail clearly and leave no half-made cluster behind.
import * as assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { z } from "zod";
import { findByInventoryPath } from "../../../provider/vsphere/client/inventory";
import { VimClient } from "../../../provider/vsphere/client/session";
import { connectionSettings } from "../../../provider/vsphere/client/settings";
import { agentFor } from "../../../provider/vsphere/client/transport";
import type { clusterSchema } from "../../../provider/vsphere/resources/cluster.schema";
import { AdmissionControl, Cluster, HaSettings, VmOverride } from "../../../sdk/vsphere";
import { diffsOf, inlineStack, outputs, stateText, type TestStack, up } from "../../support/engine";
import { startVcsim, type Vcsim } from "../../support/vsphere/vcsim";

type ClusterArgs = z.input<typeof clusterSchema.inputs>;
const ESX_PASSWORD = "esx-r00t-pa55word";

let clusters: Array<[string, ClusterArgs]> = [];
const program = async () => {
  const out: Record<string, unknown> = {};
  for (const [name, args] of clusters) {
    const c = new Cluster(name, args);
    out[`${name}Id`] = c.clusterId;
    out[`${name}Hosts`] = c.hostIds;
  }
  return out;
};

describe("vSphere clusters through the engine (dassim)", () => {
  let sim: Vcsim;
  let s: TestStack;
  let vc: VimClient;
  const exists = async (name: string) => (await findByInventoryPath(vc, `DC0/host/${name}`)) !== undefined;

  before(async () => {
    // No VMs: hosts without VMs can leave vCenter with a destroyed cluster.
    sim = await startVcsim({ vms: 0, standaloneHosts: 3 });
    const { "vmha:vspherePassword": password, ...plain } = sim.config;
    s = await inlineStack("vsphere-cluster", program, plain);
    await s.stack.setConfig("vmha:vspherePassword", { value: password ?? "", secret: true });
    const settings = connectionSettings({ get: (k) => sim.config[k] });
    vc = new VimClient(settings, agentFor(settings));
  });
  after(async () => {
    try {
      await s?.dispose();
    } finally {
      await sim?.stop();
    }
  });

  it("creates a cluster, adds a new ESXi host and moves a standalone host in", async () => {
    clusters = [
      [
        "prod",
        {
          datacenter: "DC0",
          name: "vmha-prod",
          moveHosts: ["DC0_H0"],
          addHosts: [{ address: "esx-new-1.example", password: ESX_PASSWORD }],
        },
      ],
    ];
    const o = await up(s);
    assert.equal(o.error, undefined, o.error);
    assert.deepEqual(o.ops.get("prod"), ["create"]);
    const outs = await outputs(s);
    assert.match(String(outs.prodId), /^domain-c\d+$/);
    assert.equal((outs.prodHosts as string[]).length, 2);
    assert.ok(await exists("vmha-prod"));
    assert.ok(!stateText(s).includes(ESX_PASSWORD), "the ESXi password leaked into the state file");
  });

  it("renames the cluster and adds another host in place", async () => {
    const [name, args] = clusters[0]!;
    clusters = [
      [
        name,
        {
          ...args,
          name: "vmha-prod-renamed",
          moveHosts: ["DC0_H0", "DC0_H1"],
          addHosts: [...(args.addHosts ?? [])],
        },
      ],
    ];
    const o = await up(s);
    assert.equal(o.error, undefined, o.error);
    assert.deepEqual(o.ops.get("prod"), ["update"]);
    assert.deepEqual(diffsOf(o, "prod"), ["moveHosts", "name"]);
    assert.equal(((await outputs(s)).prodHosts as string[]).length, 3);
    assert.ok(await exists("vmha-prod-renamed"));
    assert.ok(!(await exists("vmha-prod")));
  });

  // The engine stops at the first resource whose check fails: one bad resource per run.
  const badInputs: Array<[string, () => void, Array<[string, string]>]> = [
    [
      "bad",
      () => new Cluster("bad", { datacenter: "", name: "a/b", existingId: "cluster-7" }),
      [
        ["datacenter", "must name a datacenter"],
        ["name", "must not contain"],
        ["existingId", "must be a cluster managed-object id"],
      ],
    ],
    [
      "badha",
      () =>
        new HaSettings("badha", {
          clusterId: "domain-c1",
          isolationResponse: "reboot" as "none",
          monitoringSensitivity: { failureInterval: 0, minUpTime: 1, maxFailures: 1, maxFailureWindow: -2 },
          isolationAddresses: ["not-an-ip"],
          advancedOptions: { maxresets: "3" },
        }),
      [
        ["isolationResponse", 'must be one of "none", "powerOff", "shutdown"'],
        ["monitoringSensitivity.failureInterval", "must be at least 1 second"],
        ["monitoringSensitivity.maxFailureWindow", "must be -1"],
        ["isolationAddresses[0]", "must be an IPv4 or IPv6 address"],
        ["advancedOptions.maxresets", 'start with "das."'],
      ],
    ],
    [
      "badac",
      () =>
        new AdmissionControl("badac", {
          clusterId: "c7",
          policy: { type: "percentage", cpuPercent: 120, memoryPercent: 10 },
          performanceDegradationTolerance: 101,
        }),
      [
        ["clusterId", "must be a cluster managed-object id"],
        ["policy.cpuPercent", "must be 0-100"],
        ["performanceDegradationTolerance", "must be 0-100"],
      ],
    ],
    [
      "badvo",
      () => new VmOverride("badvo", { clusterId: "domain-c1", vm: "", restartPriorityTimeout: -5 }),
      [
        ["vm", "must name a VM"],
        ["restartPriorityTimeout", "must be -1"],
      ],
    ],
  ];
  for (const [res, make, expected] of badInputs) {
    it(`fails check of ${res} with one failure per bad field, naming the field`, async () => {
      // A stack of its own holding only the bad resource: nothing else is in flight when the
      // engine stops at the failed check.
      const bad = await inlineStack("vsphere-bad", async () => {
        make();
      });
      const o = await up(bad).finally(() => bad.dispose());
      assert.ok(o.error, "up should fail");
      const text = o.diagnostics.join("\n");
      for (const [prop, reason] of expected) {
        const esc = (x: string) => x.replace(/[.[\]()]/g, "\\$&");
        assert.match(
          text,
          new RegExp(`'${res}': property ${esc(prop)} value .* has a problem: .*${esc(reason)}`),
          prop,
        );
      }
    });
  }

  it("fails clearly for an unknown datacenter and leaves nothing behind", async () => {
    const keep = clusters;
    clusters = [...keep, ["ghost", { datacenter: "NoSuchDC", name: "vmha-ghost" }]];
    const o = await up(s);
    clusters = keep;
    assert.match(o.error ?? "", /datacenter "NoSuchDC" not found in vCenter/);
    assert.ok(!(await exists("vmha-ghost")));
  });

  it("fails clearly for an unknown host and leaves no half-made cluster", async () => {
    const keep = clusters;
    clusters = [
      ...keep,
      [
        "half",
        {
          datacenter: "DC0",
          name: "vmha-half",
          addHosts: [{ address: "esx-new-2.example", password: ESX_PASSWORD }],
          moveHosts: ["no-such-host"],
        },
      ],
    ];
    const o = await up(s);
    clusters = keep;
    assert.match(o.error ?? "", /host "no-such-host" not found in vCenter/);
    assert.ok(!(await exists("vmha-half")), "no cluster may be left behind");
    assert.equal(await findByInventoryPath(vc, "DC0/host/vmha-half/esx-new-2.example"), undefined);
  });

  it("rolls back a new cluster when a later step fails (host busy in another cluster)", async () => {
    const keep = clusters;
    clusters = [...keep, ["busy", { datacenter: "DC0", name: "vmha-busy", moveHosts: ["DC0_C0/DC0_C0_H0"] }]];
    const o = await up(s);
    clusters = keep;
    assert.match(o.error ?? "", /MoveInto_Task|InvalidState|maintenance/i);
    assert.ok(!(await exists("vmha-busy")), "the new cluster must be removed again");
  });

  it("refuses to delete a created cluster that still holds hosts", async () => {
    clusters = [];
    const o = await up(s);
    assert.match(o.error ?? "", /still holds 3 host\(s\).*forceDestroy: true/);
    assert.ok(await exists("vmha-prod-renamed"));
  });

  it("deletes it with forceDestroy", async () => {
    // forceDestroy is read from the state at delete time, so it is applied first.
    clusters = [
      [
        "prod",
        {
          datacenter: "DC0",
          name: "vmha-prod-renamed",
          moveHosts: ["DC0_H0", "DC0_H1"],
          addHosts: [{ address: "esx-new-1.example", password: ESX_PASSWORD }],
          forceDestroy: true,
        },
      ],
    ];
    const o1 = await up(s);
    assert.equal(o1.error, undefined, o1.error);
    clusters = [];
    const o = await up(s);
    assert.equal(o.error, undefined, o.error);
    assert.deepEqual(o.ops.get("prod"), ["delete"]);
    assert.ok(!(await exists("vmha-prod-renamed")));
  });

  it("adopts an existing cluster by id and releases it on delete", async () => {
    const existing = await findByInventoryPath(vc, "DC0/host/DC0_C0");
    assert.ok(existing);
    clusters = [["adopted", { datacenter: "DC0", name: "DC0_C0", adopt: true, existingId: existing.value }]];
    const o = await up(s);
    assert.equal(o.error, undefined, o.error);
    const outs = await outputs(s);
    assert.equal(outs.adoptedId, existing.value);
    assert.equal((outs.adoptedHosts as string[]).length, 2);
    clusters = [];
    const d = await up(s);
    assert.equal(d.error, undefined, d.error);
    assert.deepEqual(d.ops.get("adopted"), ["delete"]);
    assert.ok(await exists("DC0_C0"), "releasing an adopted cluster leaves it in vCenter");
  });

  it("reports bad credentials as a login failure naming the settings to fix", async () => {
    await s.stack.setConfig("vmha:vspherePassword", { value: "wrong-password", secret: true });
    clusters = [["other", { datacenter: "DC0", name: "vmha-other" }]];
    const o = await up(s);
    clusters = [];
    assert.match(
      o.error ?? "",
      /vSphere login to 127\.0\.0\.1:\d+ as "vmha-admin" failed: invalid user name or password/,
    );
    assert.doesNotMatch(o.error ?? "", /wrong-password/, "the password must never appear in messages");
    await s.stack.setConfig("vmha:vspherePassword", { value: sim.password, secret: true });
    assert.ok(!(await exists("vmha-other")));
  });
});
