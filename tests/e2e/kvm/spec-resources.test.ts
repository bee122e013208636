// The KVM resources through the real engine against a real etcd (no hosts): what each resource
// writes into the runtime's spec, in-place updates, replacement, deletion, check failures for bad
// input and for admission control, drift after an out-of-band edit and its correction. Resources
// here are `stopped` (nothing to wait for); the lab tests run started VMs on real hosts.
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { Etcd3 } from "etcd3";
import * as kvm from "../../../sdk/kvm";
import {
  diffsOf,
  envFor,
  inlineStack,
  ROOT,
  stateText,
  type TestStack,
  up,
  upRefresh,
} from "../../support/engine";
import { startEtcd, type TestEtcd } from "../../support/etcd";

interface Vm {
  name: string;
  priority?: "lowest" | "low" | "medium" | "high" | "highest";
  cpu?: number;
  memoryMiB?: number;
  state?: "started" | "stopped" | "disabled";
  xmlName?: string;
  intervalMs?: number;
}

const xml = (n: string) =>
  `<domain type='kvm'><name>${n}</name><memory unit='MiB'>64</memory><os><type>hvm</type></os></domain>`;

let etcd: TestEtcd;
/** A second client, outside Pulumi: reads what the resources wrote, and edits it for drift. */
let client: Etcd3;
let vms: Vm[] = [];
let withConstraint = false;
const fencePassword = "ipmi-secret-pw";

const program = async () => {
  const cluster = new kvm.Cluster("c", {
    name: "spec-test",
    // Fence secrets go over plain HTTP to this loopback etcd: allowed only when said (finding 10).
    etcd: { endpoints: [etcd.endpoint], insecure: true },
    hosts: {
      h1: { cpu: 4, memoryMiB: 4096, address: "192.0.2.11" },
      h2: { cpu: 4, memoryMiB: 4096 },
      h3: { cpu: 4, memoryMiB: 4096 },
    },
    admissionControl: { policy: "hostFailures", hostFailures: 1 },
    resourceDefaults: { maxRestarts: 5 },
  });
  const ref = { cluster: cluster.name, etcd: cluster.etcd };
  new kvm.FenceDevice("ipmi", {
    ...ref,
    name: "ipmi",
    agent: "fence_ipmilan",
    params: { username: "admin", lanplus: "1" },
    hosts: { h1: { ip: "192.0.2.1" }, h2: { ip: "192.0.2.2" }, h3: { ip: "192.0.2.3" } },
    secretParams: { password: pulumi.secret(fencePassword) },
  });
  const made: Record<string, kvm.VirtualMachine> = {};
  for (const v of vms) {
    made[v.name] = new kvm.VirtualMachine(v.name, {
      ...ref,
      domainXml: xml(v.xmlName ?? v.name),
      state: v.state ?? "stopped",
      priority: v.priority,
      reservation: v.cpu !== undefined ? { cpu: v.cpu, memoryMiB: v.memoryMiB ?? 512 } : undefined,
      monitoring: v.intervalMs ? { intervalMs: v.intervalMs } : undefined,
    });
  }
  new kvm.VirtualIp("vip", { ...ref, ip: "192.0.2.100", cidrNetmask: 24, nic: "eth0", state: "stopped" });
  if (withConstraint && made.web && made.db) {
    new kvm.Constraint("web-after-db", { ...ref, order: { first: made.db.name, then: made.web.name } });
  }
};

async function spec(): Promise<{
  resources: Record<string, Record<string, unknown>>;
  hosts: Record<string, { fence?: unknown }>;
  constraints?: Record<string, unknown>;
}> {
  return JSON.parse((await client.get("/vmha/spec-test/spec").string()) ?? "null");
}

describe("KVM resources write the runtime's spec (real engine, real etcd)", () => {
  let s: TestStack;
  before(async () => {
    etcd = await startEtcd();
    client = new Etcd3({ hosts: etcd.endpoint });
    s = await inlineStack("kvm-spec", program);
  });
  after(async () => {
    await s?.dispose();
    client?.close();
    await etcd?.stop();
  });

  it("creates the cluster, fence device, VMs and virtual IP as one valid spec", async () => {
    vms = [
      { name: "web", priority: "highest", cpu: 1, memoryMiB: 1024 },
      { name: "db", priority: "high", cpu: 2, memoryMiB: 2048 },
    ];
    const o = await up(s);
    assert.equal(o.error, undefined, o.error);
    const doc = await spec();
    assert.deepEqual(Object.keys(doc.resources).sort(), ["db", "vip", "web"]);
    assert.equal(doc.resources.web!.priority, "highest");
    assert.deepEqual(doc.resources.web!.monitoring, { maxRestarts: 5 }, "cluster default applied");
    assert.deepEqual(doc.resources.vip!.params, { ip: "192.0.2.100", cidr_netmask: "24", nic: "eth0" });
    assert.deepEqual((doc.hosts.h1 as { labels?: unknown }).labels, { address: "192.0.2.11" });
    assert.deepEqual(doc.hosts.h2!.fence, {
      agent: "fence_ipmilan",
      params: { username: "admin", lanplus: "1", ip: "192.0.2.2" },
      secretParams: ["password"],
      device: "ipmi",
    });
    assert.equal(
      await client.get("/vmha/spec-test/secrets/fence/h2").string(),
      '{"password":"ipmi-secret-pw"}',
    );
    assert.ok(!JSON.stringify(doc).includes("ipmi-secret-pw"), "a fence secret must never enter the spec");
    assert.ok(!stateText(s).includes("ipmi-secret-pw"), "a fence secret leaked into the Pulumi state");
    // Read from the state, not stack outputs: a program output of a resource whose create fails
    // (the unreachable test below) rejects after the engine has gone.
    const st = await s.stack.exportStack();
    const outs = (n: string) =>
      (st.deployment.resources ?? []).find((r: { urn: string }) => r.urn.endsWith(`::${n}`))?.outputs ?? {};
    assert.equal(outs("ipmi").insecureEtcd, true, "secrets sent over plain HTTP are reported");
    assert.equal(outs("c").insecureEtcd, undefined, "the cluster sent nothing secret");
  });

  it("updates priority, reservations and monitoring in place", async () => {
    vms = [
      { name: "web", priority: "medium", cpu: 1.5, memoryMiB: 1536, intervalMs: 5000 },
      { name: "db", priority: "high", cpu: 2, memoryMiB: 2048 },
    ];
    const o = await up(s);
    assert.equal(o.error, undefined, o.error);
    assert.deepEqual(o.ops.get("web"), ["update"]);
    assert.deepEqual(diffsOf(o, "web"), ["monitoring", "priority", "reservation"]);
    const web = (await spec()).resources.web!;
    assert.equal(web.priority, "medium");
    assert.deepEqual(web.reservation, { cpu: 1.5, memoryMiB: 1536 });
    assert.deepEqual(web.monitoring, { intervalMs: 5000, maxRestarts: 5 });
  });

  it("adds an order constraint as its own entry", async () => {
    withConstraint = true;
    const o = await up(s);
    assert.equal(o.error, undefined, o.error);
    assert.deepEqual((await spec()).constraints, {
      "web-after-db": { type: "order", first: "db", then: "web" },
    });
  });

  it("refuses, in check, a VM that would break admission control, naming the numbers", async () => {
    // Only protected (started) resources count; nothing else here is started.
    vms = [...vms, { name: "big", state: "started", cpu: 9, memoryMiB: 9000 }];
    const before = await spec();
    const o = await up(s);
    vms = vms.filter((v) => v.name !== "big");
    assert.ok(o.error, "up should fail");
    assert.match(
      o.diagnostics.join("\n"),
      /'big': property reservation value .* has a problem: admission control \(hostFailures 1\) refused big: it needs 9 cpu \/ 9000 MiB.*only 8 cpu \/ 8192 MiB may be used after losing the 1 largest of 3/,
    );
    assert.deepEqual(await spec(), before, "nothing may be written when admission control refuses");
  });

  it("fails check for bad input, naming the field", async () => {
    vms = [...vms, { name: "bad", xmlName: "other" }];
    const o = await up(s);
    vms = vms.filter((v) => v.name !== "bad");
    assert.ok(o.error);
    assert.match(
      o.diagnostics.join("\n"),
      /'bad': property domainXml .* the domain's <name> is "other" but the resource is named "bad"/,
    );
    vms = vms.filter((v) => v.name !== "bad");
  });

  it("reports a VM disabled outside Pulumi as drift, and up corrects it", async () => {
    const doc = await spec();
    doc.resources.db!.state = "disabled";
    await client.put("/vmha/spec-test/spec").value(JSON.stringify(doc));
    const cli = path.join(ROOT, "dist", "provider", "core", "drift", "cli.js");
    const r = spawnSync(
      process.execPath,
      [cli, "--stack", s.stack.name, "--cwd", s.stack.workspace.workDir, "--quiet"],
      {
        encoding: "utf8",
        env: { ...process.env, ...envFor(s.stateDir) },
      },
    );
    assert.equal(r.status, 7, r.stdout + r.stderr);
    assert.match(r.stdout, /^drift: vmha-kvm:VirtualMachine db: state "stopped" -> "disabled"$/m);
    // Exactly one: the cluster's hosts (address kept in labels), the fence device and the other
    // resources read back exactly as the program declared them.
    assert.match(r.stdout, /^1 of \d+ resource\(s\) of stack test drifted; run `pulumi up --refresh`/m);
    const o = await upRefresh(s);
    assert.equal(o.error, undefined, o.error);
    assert.equal((await spec()).resources.db!.state, "stopped");
  });

  it("deletes what leaves the program (the VM and the constraint naming it)", async () => {
    withConstraint = false;
    vms = vms.filter((v) => v.name !== "db");
    const o = await up(s);
    assert.equal(o.error, undefined, o.error);
    const doc = await spec();
    assert.deepEqual(Object.keys(doc.resources).sort(), ["vip", "web"]);
    assert.deepEqual(doc.constraints ?? {}, {});
  });

  it("destroy removes the spec from etcd", async () => {
    const o = await s.stack.destroy({ onOutput: () => {} });
    assert.equal(o.summary.result, "succeeded");
    assert.equal(await client.get("/vmha/spec-test/spec").string(), null);
    assert.equal(await client.get("/vmha/spec-test/secrets/fence/h1").string(), null);
  });

  it("an unreachable etcd fails with the attempts it made and leaves nothing in the state", async () => {
    await etcd.stop();
    vms = [];
    const o = await up(s);
    assert.ok(o.error, "up must fail without etcd");
    assert.match(
      o.diagnostics.join("\n"),
      /cluster spec-test: write spec: after 4 attempts: cluster spec-test: etcd of cluster spec-test unreachable/,
    );
    const st = await s.stack.exportStack();
    const kvmResources = (st.deployment.resources ?? []).filter((r: { type: string }) =>
      r.type.includes("vmha-kvm"),
    );
    assert.deepEqual(kvmResources, [], "a resource whose create failed must not be in the state");
  });
});
