"use strict";
// Debian packages the tests and the lab need. Installed once with apt-get, skipped when present.
const { spawnSync } = require("node:child_process");
const { run, heartbeat } = require("./util");

// One list, grouped by what needs it, so a reader sees why each package is here.
const GROUPS = {
  lab: [
    "etcd-server", // the runtime's store (etcd 3.4)
    "etcd-client", // etcdctl, for lab checks
    "libvirt-daemon", // one libvirtd per lab host
    "libvirt-daemon-driver-qemu",
    "libvirt-clients", // virsh
    "qemu-system-x86", // VMs are real QEMU/KVM processes
    "tini", // PID 1 of each lab host's PID namespace
    "iproute2", // ip netns, veth, bridge
    "resource-agents", // OCF agents: VirtualDomain, IPaddr2
    "fence-agents", // fence-agents protocol: fence_dummy, fence_virsh, ...
    "procps",
    "util-linux", // unshare, nsenter
  ],
  observability: [
    "prometheus", // promtool: checks and unit-tests deploy/prometheus/vmha-alerts.yml in npm test
    "libxml2-utils", // xmllint: validates `vmha drill --junit` reports against a JUnit XSD
    "chromium", // headless browser: the `vmha dashboard` page is checked in it
  ],
};

function missing(pkgs) {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format syntax.
  const r = spawnSync("dpkg-query", ["-W", "-f=${Package} ${Status}\n", ...pkgs], { encoding: "utf8" });
  const ok = new Set(
    r.stdout
      .split("\n")
      .filter((l) => l.endsWith("install ok installed"))
      .map((l) => l.split(" ")[0]),
  );
  return pkgs.filter((p) => !ok.has(p));
}

const debStep = {
  name: "debs",
  async needed() {
    const m = missing(Object.values(GROUPS).flat());
    return m.length ? `installing Debian packages: ${m.join(" ")}` : "";
  },
  async run() {
    const m = missing(Object.values(GROUPS).flat());
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    const stop = heartbeat("apt-get");
    try {
      await run("apt-get", ["update", "-q"], { env, quiet: true });
      await run("apt-get", ["install", "-y", "-q", "--no-install-recommends", ...m], { env, quiet: true });
    } finally {
      stop();
    }
  },
};

module.exports = { debStep, GROUPS, missing };
