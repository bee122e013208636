// Proof: while a powered-off host's fence device fails, its VMs are not recovered unless the
// lease/self-fence rule allows it: a VM with isolationResponse "none" waits for the device
// (only a confirmed off is proof); one with "stop" is recovered after the self-fence deadline.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type LabFixture, startLab, stopLab } from "./lib/fixture";
import { setFenceFailing } from "./lib/lab";
import { events, firstEvent, waitFor } from "./lib/wait";

let fx: LabFixture | undefined;
let failed = false;

before(async () => {
  fx = await startLab("fence-fails", {
    vms: 3,
    spec: {
      spread: true,
      vmOverrides: { vm1: { isolationResponse: "none" }, vm2: { isolationResponse: "stop" } },
    },
  });
  await fx.settle();
});
after(() => stopLab(fx, failed));

test("fence device fails: isolation none waits for the device; stop waits for the deadline", async () => {
  try {
    const f = fx!;
    const hostOf = (vm: string) => f.obs.where(vm)[0]!;
    // 1. vm1 (isolation none): nothing happens until the device works again.
    const h1 = hostOf("vm1");
    await setFenceFailing(h1, true);
    const t0 = f.kill(h1);
    await new Promise((r) => setTimeout(r, 5000));
    assert.deepEqual(f.obs.where("vm1"), [], "vm1 was recovered although its host was never confirmed off");
    const evs = await events(f.store, t0);
    assert.ok(
      firstEvent(evs, `host ${h1}`, /fencing failed|fence .*failed/),
      "no failed fence attempt logged",
    );
    assert.equal((await f.store.read()).manager?.hosts[h1]?.state, "fencing");
    await setFenceFailing(h1, false);
    const back = await waitFor("vm1 running elsewhere", 20000, () => f.obs.firstRunningAt("vm1", h1, t0));
    const fenced = firstEvent(
      await events(f.store, t0),
      `host ${h1}`,
      /=> fenced \(fence device confirmed off\)/,
    );
    assert.ok(fenced && Date.parse(fenced.at) <= back, "vm1 ran elsewhere before its host was confirmed off");
    f.log(`vm1 recovered ${back - t0} ms after power-off, once the device worked`);

    // 2. vm2 (isolation stop): recovered after lease expiry + self-fence deadline.
    const h2 = hostOf("vm2");
    const hostOfBefore = new Map(f.vms.map((v) => [v, hostOf(v)]));
    assert.notEqual(h2, h1);
    await setFenceFailing(h2, true);
    const t2 = f.kill(h2);
    const up = await waitFor("vm2 running elsewhere", 20000, () => f.obs.firstRunningAt("vm2", h2, t2));
    // Events are appended to etcd asynchronously by the agents' loggers: wait for them.
    const { suspect } = await waitFor("suspect and freed-by-deadline events", 5000, async () => {
      const evs2 = await events(f.store, t2);
      const suspect = firstEvent(evs2, `host ${h2}`, /=> suspect/);
      const freed = firstEvent(evs2, "resource vm2", /freed: .*past its self-fence deadline/);
      return suspect && freed ? { suspect, freed } : undefined;
    });
    // Anything with isolation "none" on that host still waits for the device.
    if (hostOfBefore.get("vm1") === h2)
      assert.deepEqual(f.obs.where("vm1"), [], "vm1 (isolation none) recovered without proof");
    assert.ok(up >= Date.parse(suspect.at) + 1000, "vm2 recovered before the self-fence deadline");
    f.log(`vm2 recovered ${up - t2} ms after power-off with the device still failing`);
    assert.deepEqual(f.obs.doubleRuns, []);
  } catch (err) {
    failed = true;
    throw err;
  }
});
