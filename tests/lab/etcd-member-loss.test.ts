// Proof: with three etcd members, losing one (the raft leader, the worst case) fails nothing
// over: every host stays online, every VM keeps running where it ran, untouched.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { etcdEndpoints } from "./lib/config";
import { stopMember } from "./lib/etcd";
import { type LabFixture, startLab, stopLab } from "./lib/fixture";
import { trySh } from "./lib/sh";
import { events } from "./lib/wait";

let fx: LabFixture | undefined;
let failed = false;

before(async () => {
  fx = await startLab("etcd-member-loss", { vms: 3, etcd: 3, spec: { spread: true } });
  await fx.settle();
});
after(() => stopLab(fx, failed));

function leader(members: readonly string[]): string {
  const r = trySh("etcdctl", [
    "--endpoints",
    etcdEndpoints(members).join(","),
    "endpoint",
    "status",
    "-w",
    "json",
  ]);
  const st = JSON.parse(r.stdout) as Array<{
    Endpoint: string;
    Status: { leader: string; header: { member_id: string } };
  }>;
  const lead = st.find((e) => e.Status.leader === e.Status.header.member_id);
  const i = st.indexOf(lead!);
  return members[i]!;
}

test("one of three etcd members lost: nothing fails over, everything keeps running", async () => {
  try {
    const f = fx!;
    await f.obs.refreshAll();
    const before = new Map(f.vms.map((v) => [v, f.obs.where(v)]));
    const samples = f.obs.history.length;
    const dead = leader(f.state.etcd);
    const t0 = Date.now();
    stopMember(dead);
    f.log(`killed etcd leader ${dead}`);
    // Watch for 8 s: several lease TTLs and self-fence deadlines.
    const alive = f.state.etcd.filter((e) => e !== dead);
    const end = Date.now() + 8000;
    while (Date.now() < end) {
      const v = await f.store.read();
      for (const h of f.state.hosts) assert.equal(v.manager?.hosts[h]?.state, "online", `${h} left online`);
      await new Promise((r) => setTimeout(r, 200));
    }
    await f.obs.refreshAll();
    for (const [vm, where] of before) assert.deepEqual(f.obs.where(vm), where, `${vm} moved`);
    const changes = f.obs.history
      .slice(samples)
      .filter((s) => f.vms.some((vm) => before.get(vm)?.includes(s.host) && !s.active.includes(vm)));
    assert.deepEqual(changes, [], "a VM stopped, even briefly");
    const evs = await events(f.store, t0);
    const bad = evs.filter((e) => /=> (suspect|fencing|fenced|recovering)/.test(e.message));
    assert.deepEqual(bad, [], "a host or resource changed state");
    assert.deepEqual(f.obs.doubleRuns, []);
    f.log(`etcd ${alive.join(",")} carried on; events since: ${evs.length}`);
  } catch (err) {
    failed = true;
    throw err;
  }
});
