// Proof: restarting a host's agent (clean SIGTERM, then a crash with SIGKILL) adopts the VMs it
// runs: same QEMU processes (domain ids unchanged), the host never leaves "online", nothing is
// started or stopped.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { startAgent, stopAgent } from "./lib/agents";
import { libvirtUri } from "./lib/config";
import { type LabFixture, startLab, stopLab } from "./lib/fixture";
import { trySh } from "./lib/sh";
import { events, firstEvent, waitFor } from "./lib/wait";

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

test("agent restart after SIGTERM (planned): running VMs adopted, not restarted", async () => {
  try {
    await restartAndCheck("SIGTERM");
  } catch (err) {
    failed = true;
    throw err;
  }
});

test("agent crash (SIGKILL) and restart: adopted if back within the lease TTL, else fenced safely", async () => {
  try {
    await restartAndCheck("SIGKILL");
  } catch (err) {
    failed = true;
    throw err;
  }
});

async function restartAndCheck(signal: "SIGTERM" | "SIGKILL"): Promise<void> {
  const f = fx!;
  await f.settle();
  const host = f.state.hosts.find((h) => f.obs.running(h).length > 0)!;
  const vms = f.obs.running(host);
  const ids = domIds(host, vms);
  const samples = f.obs.history.length;
  const t0 = Date.now();
  stopAgent(host, signal);
  startAgent(host, f.state);
  f.log(`${host}: agent ${signal} + start took ${Date.now() - t0} ms`);
  // Let it run a while: several keepalive intervals, a lease TTL, monitors.
  await new Promise((r) => setTimeout(r, 4000));
  const evs = await events(f.store, t0);
  const failedOver = evs.filter(
    (e) => e.subject === `host ${host}` && /=> (suspect|fencing|fenced)/.test(e.message),
  );
  if (signal === "SIGKILL" && failedOver.length > 0) {
    // The crashed agent came back after its lease expired: a host failure, handled as one.
    // (The observer cannot see a host the BMC powered off; fence-before-restart is the check.)
    f.log(`${host}: the restart outlasted the 1 s lease; the host was fenced and its VMs recovered`);
    f.obs.hostOff(host);
    const fenced = await waitFor("fence confirmation", 10000, async () =>
      firstEvent(await events(f.store, t0), `host ${host}`, /=> fenced \(fence device confirmed off\)/),
    );
    for (const v of vms) {
      const at = await waitFor(`${v} recovered`, 30000, () => f.obs.firstRunningAt(v, host, t0));
      assert.ok(Date.parse(fenced.at) <= at, `${v} ran elsewhere before ${host} was confirmed off`);
    }
    return;
  }
  await f.settle(10000);
  assert.deepEqual(domIds(host, vms), ids, "domain ids changed: the VMs were restarted");
  const stopped = f.obs.history
    .slice(samples)
    .filter((s) => s.host === host && vms.some((v) => !s.active.includes(v)));
  assert.deepEqual(stopped, [], "a VM stopped, even briefly");
  assert.deepEqual(failedOver, [], `${host} was treated as failed`);
  const starts = evs.filter(
    (e) => vms.some((v) => e.subject === `resource ${v}`) && /starting on|started on/.test(e.message),
  );
  assert.deepEqual(starts, [], "a VM was started again");
  await waitFor(
    "host online",
    5000,
    async () => (await f.store.read()).manager?.hosts[host]?.state === "online" || undefined,
  );
}
