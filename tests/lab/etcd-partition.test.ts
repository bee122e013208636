// Proof: a host cut off from etcd only (its libvirt and the other hosts stay reachable) stops
// its VMs itself; they restart elsewhere only after its lease expired and the self-fence
// deadline passed; at no moment does one VM run on two hosts (every host's libvirt is watched).
// No fence device here, so the self-fence path is the only way out.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type LabFixture, startLab, stopLab } from "./lib/fixture";
import { heal, partition } from "./lib/lab";
import { events, firstEvent, waitFor } from "./lib/wait";

let fx: LabFixture | undefined;
let failed = false;
// The spec's default timing (core/timing.ts): the cut-off host stops its VMs 2.0 s after its
// last acknowledged renewal, they are gone by 2.7 s, and the primary frees them 2 s after it saw
// the lease expire; the lab watchdog (2 s) bounds a hung agent.
const TIMING = { selfFenceDeadlineMs: 2000 };

before(async () => {
  fx = await startLab("etcd-partition", {
    vms: 3,
    hosts: 3,
    spec: { noFence: ["h1", "h2", "h3"], timing: TIMING },
  });
  await fx.settle();
});
after(() => stopLab(fx, failed));

test("host cut off from etcd: self-stop, restart elsewhere only after the deadline, never twice", async () => {
  try {
    const f = fx!;
    const victim = f.state.hosts.reduce((a, b) =>
      f.obs.running(b).length > f.obs.running(a).length ? b : a,
    );
    const moved = f.obs.running(victim);
    assert.ok(moved.length > 0);
    const t0 = Date.now();
    partition(victim, f.state);
    f.log(`cut ${victim} off from etcd; it runs ${moved.join(",")}`);
    const startedAt = await waitFor(`${moved.join(",")} running on another host`, 30000, () => {
      const at = moved.map((v) => f.obs.firstRunningAt(v, victim, t0));
      return at.every((x) => x !== undefined) ? (at as number[]) : undefined;
    });
    const evs = await events(f.store, t0 - 500);
    const suspect = firstEvent(evs, `host ${victim}`, /=> suspect/);
    const fenced = firstEvent(evs, `host ${victim}`, /=> fenced \(self-fence deadline passed/);
    assert.ok(suspect, `no suspect event for ${victim}`);
    assert.ok(fenced, `no "fenced (self-fence deadline passed)" event for ${victim}`);
    // The primary counts the deadline from its own sighting of the expiry (expiredAt, on its
    // clock: wall time at its start plus elapsed monotonic time); the suspect event is logged
    // after the commit that records it, so it is later than the sighting.
    const sighted = (await f.store.read()).manager?.hosts[victim]?.expiredAt;
    assert.ok(sighted !== undefined, `no expiredAt recorded for ${victim}`);
    assert.ok(
      Date.parse(fenced.at) - sighted >= TIMING.selfFenceDeadlineMs,
      `fenced ${Date.parse(fenced.at) - sighted} ms after the primary saw the lease expire, deadline ${TIMING.selfFenceDeadlineMs} ms`,
    );
    for (const [i, v] of moved.entries()) {
      const gone = f.obs.goneAt(v, victim, t0);
      assert.ok(gone !== undefined, `${v} still active on ${victim}: it did not stop itself`);
      assert.ok(gone <= startedAt[i]!, `${v} started elsewhere before it stopped on ${victim}`);
      assert.ok(startedAt[i]! >= sighted + TIMING.selfFenceDeadlineMs, `${v} restarted before the deadline`);
      f.log(`${v}: stopped on ${victim} +${gone - t0} ms, running elsewhere +${startedAt[i]! - t0} ms`);
    }
    assert.deepEqual(f.obs.doubleRuns, [], "a VM ran on two hosts");

    // Reconnect: the host rejoins and does not start its old VMs by itself.
    heal(victim, f.state);
    await f.settle(30000);
    await f.obs.refreshAll();
    for (const v of moved) assert.equal(f.obs.where(v).length, 1, `${v} runs on ${f.obs.where(v).join(",")}`);
    assert.deepEqual(f.obs.doubleRuns, [], "a VM ran on two hosts after the host rejoined");
  } catch (err) {
    failed = true;
    throw err;
  }
});
