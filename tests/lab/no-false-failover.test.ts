// Proof that the fast detection settings (1 s lease TTL, etcd heartbeat 25 ms / election 250 ms,
// pre-vote) do not cause false failovers under load: for 20 s, both CPUs are kept busy, etcd
// takes a storm of writes and the disk a stream of synchronous writes. No host may be marked
// suspect, no VM may move or stop.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { NODE, RUN_DIR } from "./lib/config";
import { type LabFixture, startLab, stopLab } from "./lib/fixture";
import { etcdClient } from "./lib/lab";
import { events } from "./lib/wait";

let fx: LabFixture | undefined;
let failed = false;
const load: ChildProcess[] = [];

before(async () => {
  fx = await startLab("no-false-failover", { vms: 3, spec: { spread: true } });
  await fx.settle();
});
after(() => {
  for (const p of load) p.kill("SIGKILL");
  stopLab(fx, failed);
});

test("20 s of CPU, etcd and disk load: no host suspected, no VM moved", async () => {
  try {
    const f = fx!;
    await f.obs.refreshAll();
    const where = new Map(f.vms.map((v) => [v, f.obs.where(v)]));
    const samples = f.obs.history.length;
    const t0 = Date.now();
    for (let i = 0; i < os.cpus().length; i++)
      load.push(spawn(NODE, ["-e", "for(;;){}"], { stdio: "ignore" }));
    const sync = path.join(RUN_DIR, "dsync.load");
    load.push(
      spawn(
        "sh",
        ["-c", `while :; do dd if=/dev/zero of=${sync} bs=64k count=64 oflag=dsync 2>/dev/null; done`],
        { stdio: "ignore" },
      ),
    );
    const c = etcdClient(f.state);
    let puts = 0;
    const value = "x".repeat(1024);
    const end = Date.now() + 20000;
    try {
      while (Date.now() < end) {
        await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            c
              .put(`/load/${puts + i}`)
              .value(value)
              .then(
                () => undefined,
                () => undefined,
              ),
          ),
        );
        puts += 10;
      }
    } finally {
      for (const p of load.splice(0)) p.kill("SIGKILL");
      await c
        .delete()
        .prefix("/load/")
        .catch(() => undefined);
      c.close();
    }
    f.log(`load: ${puts} etcd puts of 1 KiB in 20 s, ${os.cpus().length} CPU hogs, a dsync writer`);
    const evs = await events(f.store, t0);
    const bad = evs.filter((e) =>
      /=> (suspect|fencing|fenced|recovering)|stepping down|unreachable/.test(e.message),
    );
    assert.deepEqual(
      bad.map((e) => `${e.at} ${e.host} ${e.subject}: ${e.message}`),
      [],
      "false alarm under load",
    );
    await f.obs.refreshAll();
    for (const [vm, w] of where) assert.deepEqual(f.obs.where(vm), w, `${vm} moved`);
    const stops = f.obs.history
      .slice(samples)
      .filter((s) => f.vms.some((vm) => where.get(vm)?.includes(s.host) && !s.active.includes(vm)));
    assert.deepEqual(stops, [], "a VM stopped");
    const v = await f.store.read();
    for (const h of f.state.hosts) assert.equal(v.manager?.hosts[h]?.state, "online");
  } catch (err) {
    failed = true;
    throw err;
  }
});
