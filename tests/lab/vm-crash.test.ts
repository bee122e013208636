// Proof: a VM whose QEMU process dies is restarted on its host, and relocated to another host
// once its local restart limit is used up (here maxRestarts 1 within a minute).
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { hostDir } from "./lib/config";
import { type LabFixture, startLab, stopLab } from "./lib/fixture";
import { killPids } from "./lib/sh";
import { waitFor } from "./lib/wait";

let fx: LabFixture | undefined;
let failed = false;

before(async () => {
  fx = await startLab("vm-crash", {
    vms: 2,
    spec: {
      vmOverrides: {
        vm1: {
          monitoring: {
            sensitivity: "custom",
            intervalMs: 500,
            maxRestarts: 1,
            restartWindowMs: 60000,
            maxRelocations: 1,
          },
        },
      },
    },
  });
  await fx.settle();
});
after(() => stopLab(fx, failed));

/** Kills vm's QEMU process on host h, as a crash would (no libvirt involvement). */
function crash(h: string, vm: string): number {
  const pid = Number(fs.readFileSync(path.join(hostDir(h), "run", "qemu", `${vm}.pid`), "utf8"));
  // The pid file holds the pid inside the host's PID namespace; find the outside pid by its
  // command line instead (the domain name is unique per host).
  const outside = fs
    .readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
    .find((p) => {
      try {
        const cmd = fs.readFileSync(`/proc/${p}/cmdline`, "utf8");
        const ns = fs.readlinkSync(`/proc/${p}/ns/net`);
        return cmd.includes(`guest=${vm},`) && cmd.startsWith("/usr/bin/qemu-system") && ns === hostNetns(h);
      } catch {
        return false;
      }
    });
  assert.ok(outside, `no QEMU process of ${vm} on ${h} (inside pid ${pid})`);
  killPids([outside]);
  return Date.now();
}

function hostNetns(h: string): string {
  const init = Number(fs.readFileSync(path.join(hostDir(h), "init.pid"), "utf8"));
  return fs.readlinkSync(`/proc/${init}/ns/net`);
}

test("a crashing VM is restarted locally, then relocated after its restart limit", async () => {
  try {
    const f = fx!;
    const home = f.obs.where("vm1")[0]!;
    const t1 = crash(home, "vm1");
    await waitFor("vm1 gone from its host", 5000, () => f.obs.goneAt("vm1", home, t1));
    const again = await waitFor(
      "vm1 restarted on its host",
      15000,
      () =>
        f.obs.history.find(
          (s) =>
            s.at > t1 &&
            s.host === home &&
            s.running.includes("vm1") &&
            (f.obs.goneAt("vm1", home, t1) ?? Infinity) < s.at,
        )?.at,
    );
    f.log(`vm1 crash 1 on ${home}: restarted there after ${again - t1} ms`);
    assert.deepEqual(f.obs.where("vm1"), [home]);
    await new Promise((r) => setTimeout(r, 1000));
    const t2 = crash(home, "vm1");
    const moved = await waitFor("vm1 relocated", 20000, () => f.obs.firstRunningAt("vm1", home, t2));
    const now = f.obs.where("vm1");
    assert.equal(now.length, 1);
    assert.notEqual(now[0], home, "vm1 restarted on the same host beyond its limit");
    f.log(`vm1 crash 2 on ${home}: relocated to ${now[0]} after ${moved - t2} ms`);
    assert.deepEqual(f.obs.doubleRuns, []);
  } catch (err) {
    failed = true;
    throw err;
  }
});
