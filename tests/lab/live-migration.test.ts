// Live migration for maintenance: `vmha migrate <vm> <host>` (a migrate request in etcd) moves a
// running VM to another host's libvirtd while it runs (virsh migrate --live over the lab
// network); afterwards it runs on the target only and nothing is left defined on the source.
// During a live migration the target holds a paused copy by design (QEMU's hand-over).
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { K } from "../../provider/runtime/store/keys";
import { libvirtUri, RUN_DIR } from "./lib/config";
import { labDomainXml } from "./lib/domain";
import { type LabFixture, startLab, stopLab } from "./lib/fixture";
import { writeSpec } from "./lib/lab";
import { trySh } from "./lib/sh";
import { waitFor } from "./lib/wait";

let fx: LabFixture | undefined;
let failed = false;

before(async () => {
  fx = await startLab("live-migration", { vms: 2, spec: { spread: true } });
  await fx.settle();
});
after(() => stopLab(fx, failed));

test("vmha migrate: live migration to another host, nothing left on the source", async () => {
  try {
    const f = fx!;
    const from = f.obs.where("vm1")[0]!;
    const to = f.state.hosts.find((h) => h !== from)!;
    const t0 = Date.now();
    await f.store.ns
      .put(K.migrateRequest(`t-${t0}`))
      .value(JSON.stringify({ id: `t-${t0}`, resource: "vm1", target: to }));
    await waitFor(`vm1 running on ${to} only`, 30000, async () => {
      await f.obs.refreshAll();
      const w = f.obs.where("vm1");
      return w.length === 1 && w[0] === to ? true : undefined;
    });
    f.log(`vm1 migrated ${from} -> ${to} in ${Date.now() - t0} ms`);
    // The hand-over itself (source paused, then target resumed) is QEMU's migration protocol;
    // separate `virsh list` samples of two hosts cannot order it to the millisecond, so the
    // check here is the outcome: one host runs it, the source keeps no definition.
    assert.deepEqual(f.obs.where("vm1"), [to]);
    await f.settle();
    const v = await f.store.read();
    assert.equal(v.manager?.resources["vm1"]?.node, to);
  } catch (err) {
    failed = true;
    throw err;
  }
});

test("a VM removed from the spec is stopped where it runs (and only vmha's own domains are)", async () => {
  try {
    const f = fx!;
    const host = f.obs.where("vm2")[0]!;
    // A domain vmha did not start (no marker), with a name no longer in the spec either.
    const file = path.join(RUN_DIR, "foreign1.xml");
    fs.writeFileSync(file, labDomainXml("foreign1", f.state.kvm));
    const created = trySh("virsh", ["-q", "-c", libvirtUri(host), "create", file]);
    assert.equal(created.code, 0, created.stderr);
    await writeSpec(f.state, { vms: 1, spread: true });
    await waitFor("vm2 stopped", 20000, async () => {
      await f.obs.refreshAll();
      return f.obs.where("vm2").length === 0 || undefined;
    });
    await new Promise((r) => setTimeout(r, 1500));
    await f.obs.refreshAll();
    assert.deepEqual(f.obs.where("foreign1"), [host], "a domain vmha did not start was touched");
    trySh("virsh", ["-q", "-c", libvirtUri(host), "destroy", "foreign1"]);
  } catch (err) {
    failed = true;
    throw err;
  }
});
