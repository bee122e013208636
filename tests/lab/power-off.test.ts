// Proof: power off a host (link down first, then every process): its VMs run on the other
// hosts, and only after its fence device confirmed it off. No VM ever runs on two hosts.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { runFence } from "../../provider/runtime/fence/runner";
import { etcdEndpoints, NODE, ROOT } from "./lib/config";
import { type LabFixture, startLab, stopLab } from "./lib/fixture";
import { powerOnHost } from "./lib/lab";
import { FENCE_AGENT_PATH, LAB_FENCE_PARAMS } from "./lib/spec";
import { events, firstEvent, waitFor } from "./lib/wait";

let fx: LabFixture | undefined;
let failed = false;

before(async () => {
  fx = await startLab("power-off", { vms: 3 });
  await fx.settle();
});
after(() => stopLab(fx, failed));

test("power off a host: its VMs run elsewhere after fence confirmation, never twice", async () => {
  try {
    const f = fx!;
    const victim = f.state.hosts.reduce((a, b) =>
      f.obs.running(b).length > f.obs.running(a).length ? b : a,
    );
    const moved = f.obs.running(victim);
    assert.ok(moved.length > 0, `${victim} runs no VM`);
    const t0 = f.kill(victim);
    const startedAt = await waitFor(`${moved.join(",")} running on another host`, 30000, () => {
      const at = moved.map((v) => f.obs.firstRunningAt(v, victim, t0));
      return at.every((x) => x !== undefined) ? (at as number[]) : undefined;
    });
    const evs = await waitFor("fence event", 5000, async () => {
      const e = await events(f.store, t0);
      return firstEvent(e, `host ${victim}`, /=> fenced/) ? e : undefined;
    });
    const fenced = firstEvent(evs, `host ${victim}`, /=> fenced \(fence device confirmed off\)/);
    assert.ok(fenced, `no "fenced (fence device confirmed off)" event for ${victim}`);
    for (const [i, v] of moved.entries()) {
      assert.ok(
        Date.parse(fenced.at) <= startedAt[i]!,
        `${v} ran elsewhere at ${new Date(startedAt[i]!).toISOString()}, before fence confirmation at ${fenced.at}`,
      );
      assert.equal(f.obs.where(v).length, 1, `${v} runs on ${f.obs.where(v).join(",")}`);
      assert.notEqual(f.obs.where(v)[0], victim);
    }
    const st = await runFence(
      { name: "lab", agent: FENCE_AGENT_PATH, params: { ...LAB_FENCE_PARAMS }, timeoutMs: 5000 },
      "status",
      victim,
    );
    assert.equal(
      st.code,
      2,
      `fence status of ${victim} should say off (exit 2), got ${st.code} ${st.detail}`,
    );
    assert.deepEqual(f.obs.doubleRuns, [], "a VM ran on two hosts");
    const view = await f.store.read();
    assert.equal(view.manager?.hosts[victim]?.state, "fenced");
    // The operator's view, from etcd (works with a host down): vmha status and vmha events.
    const cli = (...args: string[]) =>
      spawnSync(
        NODE,
        [
          path.join(ROOT, "dist", "provider", "runtime", "cli", "vmha.js"),
          "--etcd",
          etcdEndpoints(f.state.etcd).join(","),
          "--cluster",
          f.state.cluster,
          ...args,
        ],
        { encoding: "utf8", timeout: 20000 },
      );
    const js = cli("status", "--json");
    assert.equal(js.status, 0, js.stderr);
    const status = JSON.parse(js.stdout) as {
      hosts: Array<{ host: string; state: string }>;
      primary: string;
    };
    assert.equal(status.hosts.find((h) => h.host === victim)?.state, "fenced");
    assert.notEqual(status.primary, victim);
    const text = cli("status");
    assert.match(text.stdout, new RegExp(`${victim}\\s+fenced\\s+no lease`));
    const ev = cli("events", "-n", "200");
    assert.match(ev.stdout, new RegExp(`host ${victim}: status change fencing => fenced`));

    // Power it back on: it rejoins empty and does not start its old VMs by itself.
    await powerOnHost(victim);
    await f.obs.hostOn(victim);
    await f.settle();
    assert.deepEqual(f.obs.doubleRuns, [], "a VM ran on two hosts after the host came back");
  } catch (err) {
    failed = true;
    throw err;
  }
});
