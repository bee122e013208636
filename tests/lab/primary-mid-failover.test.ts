// Proof: the primary dies in the middle of a failover (right after it marked a powered-off host
// suspect, while it fences it); the next primary finishes the job: every VM of both dead hosts
// runs on the survivor, after both were fenced, never on two hosts.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type LabFixture, startLab, stopLab } from "./lib/fixture";
import { setFenceFailing } from "./lib/lab";
import { events, firstEvent, waitFor } from "./lib/wait";

let fx: LabFixture | undefined;
let failed = false;

before(async () => {
  fx = await startLab("primary-mid-failover", { vms: 3, spec: { spread: true } });
  await fx.settle();
});
after(() => stopLab(fx, failed));

test("primary killed mid-failover: the next primary finishes it", async () => {
  try {
    const f = fx!;
    const view = await f.store.read();
    const primary = view.primary!;
    const victim = f.state.hosts.find((h) => h !== primary && f.obs.running(h).length > 0)!;
    const survivor = f.state.hosts.find((h) => h !== primary && h !== victim)!;
    assert.ok(victim && survivor, "need a non-primary host with VMs and a third host");
    const lost = [...f.obs.running(victim), ...f.obs.running(primary)];
    // The victim's fence device fails until the primary is dead, so the kill always lands in the
    // middle of the failover (a working lab device confirms "off" in ~40 ms, and the old primary
    // sometimes finished before it was killed).
    await setFenceFailing(victim, true);
    const t0 = f.kill(victim);
    const mid = await waitFor(
      `${primary} starts handling ${victim}`,
      10000,
      async () => firstEvent(await events(f.store, t0), `host ${victim}`, /=> (suspect|fencing)/),
      20,
    );
    const t1 = f.kill(primary);
    await setFenceFailing(victim, false);
    f.log(`killed ${victim}, then primary ${primary} ${t1 - Date.parse(mid.at)} ms after "${mid.message}"`);
    await waitFor(
      `${lost.join(",")} running on ${survivor}`,
      30000,
      () => lost.every((v) => f.obs.where(v).includes(survivor)) || undefined,
    );
    const v2 = await f.store.read();
    assert.equal(v2.primary, survivor);
    assert.equal(v2.manager?.hosts[victim]?.state, "fenced");
    assert.equal(v2.manager?.hosts[primary]?.state, "fenced");
    // Events are appended to etcd asynchronously by the agents' loggers: wait for them.
    const finished = await waitFor(`fenced event for ${victim}`, 5000, async () =>
      firstEvent(await events(f.store, t0), `host ${victim}`, /=> fenced/),
    );
    assert.equal(finished.host, survivor, `${victim} should have been fenced by the new primary ${survivor}`);
    for (const v of lost) assert.deepEqual(f.obs.where(v), [survivor]);
    assert.deepEqual(f.obs.doubleRuns, [], "a VM ran on two hosts");
  } catch (err) {
    failed = true;
    throw err;
  }
});
