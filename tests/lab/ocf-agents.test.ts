// Pacemaker's resource agents, unchanged, through the OCF runner inside a lab host (its own
// network, mount and PID namespaces): ocf:heartbeat:IPaddr2 adds a virtual IP on the host's
// eth0, ocf:heartbeat:VirtualDomain runs a VM on the host's own libvirtd.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { OCF, runOcf } from "../../provider/runtime/ocf/runner";
import { hostDir, nsOf, SUBNET } from "./lib/config";
import { labDomainXml } from "./lib/domain";
import { hostExecArgs } from "./lib/host";
import * as lab from "./lib/lab";
import { trySh } from "./lib/sh";
import type { LabState } from "./lib/state";

let state: LabState | undefined;

before(async () => {
  ({ state } = await lab.up({ hosts: 1, agents: false }));
});
after(() => lab.down());

const inHost = (h: string) => ["nsenter", ...hostExecArgs(h, [])];

test("ocf:heartbeat:IPaddr2 inside a lab host: start, monitor, stop", async () => {
  const h = state!.hosts[0]!;
  const vip = `${SUBNET}.100`;
  const res = {
    name: "vip",
    agent: "ocf:heartbeat:IPaddr2",
    params: { ip: vip, cidr_netmask: "24", nic: "eth0" },
  };
  const addrs = () => trySh("ip", ["-n", nsOf(h), "-o", "addr", "show", "dev", "eth0"]).stdout;
  const start = await runOcf(res, "start", 20000, undefined, inHost(h));
  assert.equal(start.code, OCF.SUCCESS, start.output);
  assert.match(addrs(), new RegExp(`inet ${vip.replace(/\./g, "\\.")}/24`));
  assert.equal((await runOcf(res, "monitor", 20000, undefined, inHost(h))).code, OCF.SUCCESS);
  assert.equal((await runOcf(res, "stop", 20000, undefined, inHost(h))).code, OCF.SUCCESS);
  assert.doesNotMatch(addrs(), new RegExp(`inet ${vip.replace(/\./g, "\\.")}/`));
  assert.equal((await runOcf(res, "monitor", 20000, undefined, inHost(h))).code, OCF.NOT_RUNNING);
});

test("ocf:heartbeat:VirtualDomain inside a lab host: the VM runs on that host's libvirtd", async () => {
  const h = state!.hosts[0]!;
  const xml = path.join(hostDir(h), "vd1.xml");
  fs.writeFileSync(xml, labDomainXml("vd1", state!.kvm));
  const res = {
    name: "vd1",
    agent: "ocf:heartbeat:VirtualDomain",
    params: { config: xml, hypervisor: "qemu:///system", force_stop: "true" },
  };
  const start = await runOcf(res, "start", 30000, undefined, inHost(h));
  assert.equal(start.code, OCF.SUCCESS, start.output);
  assert.deepEqual(lab.domainsOn(h), ["vd1"]);
  assert.equal((await runOcf(res, "monitor", 30000, undefined, inHost(h))).code, OCF.SUCCESS);
  const stop = await runOcf(res, "stop", 30000, undefined, inHost(h));
  assert.equal(stop.code, OCF.SUCCESS, stop.output);
  assert.deepEqual(lab.domainsOn(h), []);
  assert.equal((await runOcf(res, "monitor", 30000, undefined, inHost(h))).code, OCF.NOT_RUNNING);
});
