// Proof (issue 16): a host powered off produces the fence and failover hooks, in order, once
// each. Every agent gets a webhook (VMHA_HOOK_URL through the lab's agentEnv) pointing at a
// server in the root namespace (10.77.0.1 on vmha-mgmt); only the committing primary sends the
// cluster-level events, so the server must see exactly: fence-started, fence-succeeded (device),
// then one failover per VM of the powered-off host, each id once, none sent by the victim.
import assert from "node:assert/strict";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import type { HookEvent } from "../../provider/runtime/hooks/events";
import { type LabFixture, startLab, stopLab } from "./lib/fixture";
import { waitFor } from "./lib/wait";

let fx: LabFixture | undefined;
let failed = false;
const got: Array<{ event: HookEvent; receivedAt: number }> = [];
const server = http.createServer((req, res) => {
  let body = "";
  req.on("data", (d: Buffer) => {
    body += d.toString();
  });
  req.on("end", () => {
    try {
      got.push({ event: JSON.parse(body) as HookEvent, receivedAt: Date.now() });
      res.writeHead(200).end("ok");
    } catch {
      res.writeHead(400).end("not JSON");
    }
  });
});

before(async () => {
  // every address: 10.77.0.1 (vmha-mgmt) exists only once the lab is up
  await new Promise<void>((r) => server.listen(0, "0.0.0.0", r));
  const port = (server.address() as AddressInfo).port;
  fx = await startLab("hooks", {
    vms: 3,
    agentEnv: { VMHA_HOOK_URL: `http://10.77.0.1:${port}/vmha-hooks`, VMHA_HOOK_TIMEOUT_MS: "2000" },
  });
  await fx.settle();
});
after(() => {
  server.close();
  stopLab(fx, failed);
});

const subject = (e: HookEvent) => ("resource" in e ? e.resource : "host" in e ? e.host : "");

test("power off a host: fence and failover hooks, in order, once each, from the primary", async () => {
  try {
    const f = fx!;
    // what settling the lab produced (a fresh cluster: no fence, no failover) is not counted
    assert.deepEqual(
      got.filter((g) => g.event.kind !== "headroom-lost").map((g) => `${g.event.kind} ${subject(g.event)}`),
      [],
      "hooks before any fault",
    );
    got.length = 0;
    const victim = f.state.hosts.reduce((a, b) =>
      f.obs.running(b).length > f.obs.running(a).length ? b : a,
    );
    const moved = f.obs.running(victim).sort();
    assert.ok(moved.length > 0, `${victim} runs no VM`);
    const t0 = f.kill(victim);
    await waitFor(`${moved.join(",")} running on another host`, 30000, () =>
      moved.every((v) => f.obs.firstRunningAt(v, victim, t0) !== undefined) ? true : undefined,
    );
    await waitFor("the failover hooks of every moved VM", 15000, () =>
      moved.every((v) => got.some((g) => g.event.kind === "failover" && g.event.resource === v))
        ? true
        : undefined,
    );
    // a duplicate (a retry, a second primary) would come within a few retries' time
    await new Promise((r) => setTimeout(r, 5000));
    const cluster = got.filter((g) => g.event.kind !== "headroom-lost" && g.event.kind !== "isolation");
    const lines = cluster.map((g) => `${g.event.kind} ${subject(g.event)}`);
    assert.deepEqual(
      lines.slice(0, 2),
      [`fence-started ${victim}`, `fence-succeeded ${victim}`],
      `hooks received: ${lines.join("; ")}`,
    );
    assert.deepEqual(
      lines.slice(2).sort(),
      moved.map((v) => `failover ${v}`).sort(),
      `hooks received: ${lines.join("; ")}`,
    );
    assert.equal(new Set(cluster.map((g) => g.event.id)).size, cluster.length, "an event id came twice");
    const ok = cluster[1]!.event;
    assert.ok(ok.kind === "fence-succeeded" && ok.how === "device", "fenced through the lab BMC's device");
    for (const g of cluster) {
      assert.notEqual(g.event.sentBy, victim, `${g.event.kind} sent by the powered-off host`);
      assert.ok(g.receivedAt >= t0, `${g.event.kind} before the power-off`);
      if (g.event.kind === "failover") {
        assert.equal(g.event.from, victim);
        assert.notEqual(g.event.to, victim);
        assert.equal(
          f.obs.where(g.event.resource)[0],
          g.event.to,
          `${g.event.resource} runs where the hook said`,
        );
      }
    }
    // the surviving hosts were never isolated
    assert.deepEqual(
      got.filter((g) => g.event.kind === "isolation").map((g) => g.event.sentBy),
      [],
    );
    assert.deepEqual(f.obs.doubleRuns, [], "a VM ran on two hosts");
  } catch (err) {
    failed = true;
    throw err;
  }
});
