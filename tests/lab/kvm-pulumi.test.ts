// Issue 6's proof on real hosts: the KVM resources through the real Pulumi engine on the lab
// (3 namespaces with their own libvirtd and vmha-agent, etcd). up starts real QEMU/KVM VMs;
// updates, a replacement, drift (an out-of-band disable is drift, a failover is not), the drill,
// and destroy (VMs stopped on every host, the spec gone from etcd).
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { kvm } from "../../sdk";
import { envFor, inlineStack, ROOT, type TestStack, up } from "../support/engine";
import { etcdEndpoints } from "./lib/config";
import { labDomainXml } from "./lib/domain";
import * as lab from "./lib/lab";
import { etcdClient } from "./lib/lab";
import { FENCE_AGENT, LAB_FENCE_PARAMS } from "./lib/spec";
import type { LabState } from "./lib/state";

interface Vm {
  name: string;
  priority: "highest" | "medium" | "low";
  memoryMiB?: number;
  cpu?: number;
  /** Name in the cluster when it differs from the Pulumi name (a change replaces the VM). */
  rename?: string;
}

let state: LabState;
let vms: Vm[] = [];

const program = async () => {
  const cluster = new kvm.Cluster("lab", {
    name: state.cluster,
    etcd: { endpoints: etcdEndpoints(state.etcd) },
    hosts: Object.fromEntries(state.hosts.map((h) => [h, { cpu: 2, memoryMiB: 1024 }])),
    admissionControl: { policy: "hostFailures", hostFailures: 1 },
  });
  const ref = { cluster: cluster.name, etcd: cluster.etcd };
  new kvm.FenceDevice("bmc", {
    ...ref,
    name: "bmc",
    agent: FENCE_AGENT,
    params: { ...LAB_FENCE_PARAMS },
    hosts: Object.fromEntries(state.hosts.map((h) => [h, {}])),
  });
  const out: Record<string, unknown> = {};
  for (const v of vms) {
    const r = new kvm.VirtualMachine(v.name, {
      ...ref,
      ...(v.rename ? { name: v.rename } : {}),
      domainXml: labDomainXml(v.rename ?? v.name, state.kvm),
      priority: v.priority,
      reservation: { cpu: v.cpu ?? 0.5, memoryMiB: v.memoryMiB ?? 64 },
      monitoring: { intervalMs: 1000 },
    });
    out[v.name] = r.host;
  }
  return out;
};

function running(): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const h of state.hosts) for (const d of lab.domainsOn(h)) m.set(d, [...(m.get(d) ?? []), h]);
  return m;
}

function vmha(...args: string[]) {
  return spawnSync(
    process.execPath,
    [
      path.join(ROOT, "dist", "provider", "runtime", "cli", "vmha.js"),
      "--etcd",
      etcdEndpoints(state.etcd).join(","),
      "--cluster",
      state.cluster,
      ...args,
    ],
    { encoding: "utf8" },
  );
}

async function waitAllLeases(): Promise<void> {
  const c = etcdClient(state);
  try {
    const t0 = Date.now();
    for (;;) {
      const keys = await c.getAll().prefix(`/vmha/${state.cluster}/leases/`).keys();
      if (state.hosts.every((h) => keys.some((k) => k.endsWith(`/leases/${h}`)))) return;
      assert.ok(
        Date.now() - t0 < 60_000,
        `hosts without a lease after 60 s: ${state.hosts.join(",")} vs ${keys.join(",")}`,
      );
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    c.close();
  }
}

function drift(s: TestStack) {
  return spawnSync(
    process.execPath,
    [
      path.join(ROOT, "dist", "provider", "core", "drift", "cli.js"),
      "--stack",
      s.stack.name,
      "--cwd",
      s.stack.workspace.workDir,
      "--quiet",
    ],
    { encoding: "utf8", env: { ...process.env, ...envFor(s.stateDir) } },
  );
}

describe("KVM resources on the lab (real engine, etcd, libvirt/KVM, agents)", {
  timeout: 15 * 60_000,
}, () => {
  let s: TestStack;
  before(async () => {
    state = (await lab.up({ hosts: 3, etcd: 1, agents: true })).state;
    s = await inlineStack("kvm-lab", program);
  });
  after(async () => {
    try {
      await s?.dispose();
    } finally {
      lab.down();
    }
  });

  it("up starts every VM on exactly one host", async () => {
    vms = [
      { name: "web", priority: "highest" },
      { name: "app", priority: "medium" },
      { name: "batch", priority: "low" },
    ];
    const o = await up(s);
    assert.equal(o.error, undefined, o.error);
    const r = running();
    for (const v of vms)
      assert.equal(r.get(v.name)?.length, 1, `${v.name} runs on ${r.get(v.name)?.join(",") ?? "no host"}`);
    const outs = await s.stack.outputs();
    for (const v of vms) assert.deepEqual(r.get(v.name), [outs[v.name]!.value], `${v.name}'s host output`);
    const st = vmha("status");
    assert.equal(st.status, 0, st.stderr);
    for (const v of vms) assert.match(st.stdout, new RegExp(`${v.name}\\b.*started`));
  });

  it("updates priority, reservation and monitoring in place without restarting the VM", async () => {
    const before = running();
    vms = vms.map((v) => (v.name === "app" ? { ...v, priority: "highest", cpu: 0.25 } : v));
    const o = await up(s);
    assert.equal(o.error, undefined, o.error);
    assert.deepEqual(o.ops.get("app"), ["update"]);
    assert.deepEqual(running(), before);
  });

  it("a failover is not drift; a VM disabled outside Pulumi is", async () => {
    const outs = await s.stack.outputs();
    const victim = outs.batch!.value as string;
    lab.kill(victim);
    const t0 = Date.now();
    while (running().get("batch")?.[0] === undefined || running().get("batch")?.[0] === victim) {
      assert.ok(Date.now() - t0 < 60_000, "batch was not recovered within 60 s");
      await new Promise((r) => setTimeout(r, 200));
    }
    const d = drift(s);
    assert.equal(d.status, 0, `a failover must not be drift:\n${d.stdout}${d.stderr}`);
    await lab.powerOnHost(victim);

    const c = etcdClient(state);
    try {
      const key = `/vmha/${state.cluster}/spec`;
      const doc = JSON.parse((await c.get(key).string())!);
      doc.resources.app.state = "disabled";
      await c.put(key).value(JSON.stringify(doc));
    } finally {
      c.close();
    }
    const d2 = drift(s);
    assert.equal(d2.status, 7, d2.stdout + d2.stderr);
    assert.match(d2.stdout, /^drift: vmha-kvm:VirtualMachine app: state "started" -> "disabled"$/m);
    const fix = await s.stack.up({ refresh: true, onOutput: () => {} });
    assert.equal(fix.summary.result, "succeeded");
    assert.equal(drift(s).status, 0);
  });

  it("vmha drill powers a host off, reports each VM's recovery, and brings the host back", async () => {
    // The host powered back on above must hold its lease again before it can be drilled or
    // take resources; stack outputs may be stale after the failover, virsh is not.
    await waitAllLeases();
    const host = running().get("web")?.[0];
    assert.ok(host, "web runs nowhere");
    const r = vmha("drill", "--host", host, "--limit", "30");
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /detected \(lease gone\):\s+\d+\.\d\d s/);
    assert.match(r.stdout, /web\s+running on h\d at \d+\.\d\d s/);
    assert.match(r.stdout, /split brain: none/);
    assert.match(r.stdout, /drill passed/);
  });

  it("a change of name replaces the VM (old one stopped first)", async () => {
    vms = vms.map((v) => (v.name === "batch" ? { ...v, rename: "batch2" } : v));
    const o = await up(s);
    assert.equal(o.error, undefined, o.error);
    assert.deepEqual(o.ops.get("batch"), ["delete-replaced", "replace", "create-replacement"]);
    const r = running();
    assert.equal(r.get("batch"), undefined, "the replaced VM must be stopped");
    assert.equal(r.get("batch2")?.length, 1);
  });

  it("destroy stops every VM and removes the spec from etcd", async () => {
    const o = await s.stack.destroy({ onOutput: () => {} });
    assert.equal(o.summary.result, "succeeded");
    assert.deepEqual([...running().keys()], []);
    const c = etcdClient(state);
    try {
      assert.equal(await c.get(`/vmha/${state.cluster}/spec`).string(), null);
    } finally {
      c.close();
    }
  });
});
