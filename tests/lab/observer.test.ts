// Proof that the lab's independent observer (TruthObserver: QEMU processes per host, libvirt
// only for "paused") reports what it must, with real VMs started and destroyed by hand through
// virsh (no agents, no mocks): the same domain XML started on two hosts is one double run with
// both hosts and its duration; a VM destroyed by hand on a host no fault touched is a false
// isolation, on a touched host it is not; a power-off counts the host's VMs until they are dead.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { askBmc } from "./lib/bmc-client";
import { libvirtUri, RUN_DIR } from "./lib/config";
import { labDomainXml } from "./lib/domain";
import * as lab from "./lib/lab";
import { episodeMs, TruthObserver } from "./lib/observer";
import { readPowerEvents } from "./lib/power-log";
import { sh } from "./lib/sh";
import type { LabState } from "./lib/state";
import { type FaultWindow, falseIsolations } from "./lib/verdict";
import { waitFor } from "./lib/wait";

let state: LabState | undefined;
let obs: TruthObserver | undefined;

function virsh(h: string, ...args: string[]): string {
  return sh("virsh", ["-q", "-c", libvirtUri(h), ...args]);
}

function create(h: string, vm: string): void {
  const f = path.join(RUN_DIR, `observer-test-${vm}.xml`);
  fs.writeFileSync(f, labDomainXml(vm, state!.kvm));
  virsh(h, "create", f);
}

before(async () => {
  // No agents: nothing but this test starts or stops a VM.
  ({ state } = await lab.up({ hosts: 3, agents: false }));
  obs = new TruthObserver(state.hosts);
  obs.start();
});
after(() => {
  obs?.stop();
  lab.down();
});

test("the same VM started by hand on two hosts is one double run, with both hosts and a duration", async () => {
  const o = obs!;
  create("h1", "probe");
  await waitFor("probe seen on h1", 10000, () => o.where("probe").includes("h1"));
  assert.equal(o.doubleRuns.length, 0);
  const t0 = Date.now();
  create("h2", "probe");
  const ep = await waitFor("a double run of probe", 10000, () => o.doubleRuns.find((d) => d.vm === "probe"));
  assert.deepEqual(ep.hosts, ["h1", "h2"]);
  assert.ok(ep.start >= t0 - 50, "double run dated before the second start");
  await new Promise((r) => setTimeout(r, 1000));
  virsh("h2", "destroy", "probe");
  await waitFor("the double run ends", 10000, () => ep.end !== undefined);
  assert.ok(episodeMs(ep) >= 900, `episode lasted ${episodeMs(ep)} ms, it was >= 1 s`);
  assert.equal(o.doubleRuns.length, 1, "one episode, not one per sample");
  assert.deepEqual(o.where("probe"), ["h1"]);
  virsh("h1", "destroy", "probe");
  await waitFor("probe gone", 10000, () => o.where("probe").length === 0);
});

test("a VM destroyed by hand on an untouched host is a false isolation; on the fault's target it is not", async () => {
  const o = obs!;
  create("h1", "quiet1");
  create("h3", "quiet3");
  await waitFor("both seen", 10000, () => o.where("quiet1").length === 1 && o.where("quiet3").length === 1);
  const t0 = Date.now();
  // A fault that touched h1 only.
  const windows: FaultWindow[] = [{ id: 1, kind: "partition", targets: ["h1"], start: t0, end: t0 + 60000 }];
  virsh("h1", "destroy", "quiet1");
  virsh("h3", "destroy", "quiet3");
  await waitFor("both gone", 10000, () => o.where("quiet1").length === 0 && o.where("quiet3").length === 0);
  const fi = falseIsolations(o.transitions, readPowerEvents(t0), windows, t0);
  assert.equal(fi.length, 1, JSON.stringify(fi));
  assert.equal(fi[0]!.host, "h3");
  assert.match(fi[0]!.what, /vm quiet3 stopped on h3/);
  assert.equal(fi[0]!.fault, 1);
});

test("a host powered off by the BMC outside any fault's targets is a false isolation; its VMs run until dead", async () => {
  const o = obs!;
  create("h2", "victim");
  await waitFor("victim seen on h2", 10000, () => o.where("victim").includes("h2"));
  const t0 = Date.now();
  const windows: FaultWindow[] = [
    { id: 7, kind: "agent-stall", targets: ["h1"], start: t0, end: t0 + 60000 },
  ];
  // As a fence agent on another host would ask (the lab's own request, named).
  assert.equal(await askBmc("off h2 by=fence:h1"), "ok");
  await waitFor("victim gone", 10000, () => o.where("victim").length === 0);
  const stop = o.transitions.find((t) => t.vm === "victim" && t.kind === "stop");
  assert.ok(stop && stop.at >= t0, "the VM's stop was seen after the power-off began");
  const fi = falseIsolations(o.transitions, readPowerEvents(t0), windows, t0);
  assert.ok(
    fi.some((f) => /host h2 powered off by fence:h1/.test(f.what)),
    JSON.stringify(fi),
  );
  assert.ok(fi.some((f) => /vm victim stopped on h2/.test(f.what)));
  assert.equal(o.doubleRuns.length, 1, "no new double run");
  await lab.powerOnHost("h2");
});
