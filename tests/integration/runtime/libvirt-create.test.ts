// The real virsh reads the domain XML the way LibvirtDriver hands it over. libvirt's test driver
// (test:///default, in-process in virsh) needs no daemon; each virsh run gets a fresh state, so
// only the create itself is judged. It caught `virsh create /dev/stdin`, which fails when Node
// spawns virsh (its stdin is a socket: ENXIO) although a fake virsh reading fd 0 passed.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { LibvirtDriver } from "../../../provider/runtime/libvirt/driver";

const haveVirsh = spawnSync("virsh", ["--version"]).status === 0;

test("virsh creates a domain from the XML LibvirtDriver writes", {
  skip: !haveVirsh && "virsh not installed",
}, async () => {
  const d = new LibvirtDriver({ uri: "test:///default", timeoutMs: 10_000 });
  const xml = `<domain type='test'><name>vmha-create-check</name><memory unit='MiB'>64</memory><os><type>hvm</type></os></domain>`;
  assert.equal(await d.start("vmha-create-check", xml, "absent"), "started");
});
