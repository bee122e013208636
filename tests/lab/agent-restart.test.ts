// Proof: restarting a host's agent (clean SIGTERM, then a crash with SIGKILL) adopts the VMs it
// runs: same QEMU processes (domain ids unchanged), the host never leaves "online", nothing is
// started or stopped.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { startAgent, stopAgent } from "./lib/agents";
import { libvirtUri } from "./lib/config";
import { type LabFixture, startLab, stopLab } from "./lib/fixture";
import { trySh } from "./lib/sh";
import { events, waitFor } from "./lib/wait";

let fx: LabFixture | undefined;
let failed = false;

before(async () => {
  fx = await startLab("agent-restart", { vms: 3, spec: { spread: true } });
  await fx.settle();
});
after(() => stopLab(fx, failed));

function domIds(h: string, vms: readonly string[]): Record<string, string> {
  return Object.fromEntries(
    vms.map((v) => [v, trySh("virsh", ["-q", "-c", libvirtUri(h), "domid", v]).stdout.trim()]),
  );
}

for (const signal of ["SIGTERM", "SIGKILL"] as const) {
  test(`agent restart after ${signal}: running VMs adopted, not restarted`, async () => {
    try {
      const f = fx!;
      await f.settle();
      const host = f.state.hosts.find((h) => f.obs.running(h).length > 0)!;
      const vms = f.obs.running(host);
      const ids = domIds(host, vms);
      const samples = f.obs.history.length;
      const leaseOf = async () =>
        (JSON.parse((await f.store.ns.get(`leases/${host}`).string()) ?? "{}") as { lease?: string }).lease;
      const lease = await leaseOf();
      const t0 = Date.now();
      stopAgent(host, signal);
      startAgent(host, f.state);
      f.log(`${host}: agent ${signal} + start took ${Date.now() - t0} ms`);
      // Let it run a while: several keepalive intervals, a lease TTL, monitors.
      await new Promise((r) => setTimeout(r, 4000));
      await f.settle(10000);
      assert.deepEqual(domIds(host, vms), ids, "domain ids changed: the VMs were restarted");
      assert.equal(await leaseOf(), lease, "the restarted agent did not resume its lease");
      const stopped = f.obs.history
        .slice(samples)
        .filter((s) => s.host === host && vms.some((v) => !s.active.includes(v)));
      assert.deepEqual(stopped, [], "a VM stopped, even briefly");
      const evs = await events(f.store, t0);
      const bad = evs.filter(
        (e) => e.subject === `host ${host}` && /=> (suspect|fencing|fenced)/.test(e.message),
      );
      assert.deepEqual(bad, [], `${host} was treated as failed`);
      const starts = evs.filter(
        (e) => vms.some((v) => e.subject === `resource ${v}`) && /starting on|started on/.test(e.message),
      );
      assert.deepEqual(starts, [], "a VM was started again");
      await waitFor(
        "host online",
        5000,
        async () => (await f.store.read()).manager?.hosts[host]?.state === "online" || undefined,
      );
    } catch (err) {
      failed = true;
      throw err;
    }
  });
}
