"use strict";
// Builds the etcd server the lab and the tests run, from the Go module proxy, once, into
// .cache/etcd/<version>/etcd (tools/etcd pins the version). Not Debian's etcd-server 3.4.23: it
// has etcd-io/etcd#15247 (a leader stalled past a lease TTL revokes, when it resumes, leases the
// new leader kept renewing; fixed by etcd-io/etcd#16822 in 3.4.28, 3.5.11 and 3.6.0), which made
// a stopped etcd leader isolate healthy hosts on the lab. Debian's etcdctl is still used.
const path = require("node:path");
const fs = require("node:fs");
const { run, heartbeat, exists, log } = require("./util");

function etcdVersion(root) {
  const mod = fs.readFileSync(path.join(root, "tools", "etcd", "go.mod"), "utf8");
  const m = /go\.etcd\.io\/etcd\/server\/v3 (v[0-9.]+)/.exec(mod);
  if (!m) throw new Error("tools/etcd/go.mod does not require go.etcd.io/etcd/server/v3");
  return m[1];
}

/** The built etcd server binary (it may not exist yet). */
function etcdBin(root) {
  return path.join(root, ".cache", "etcd", etcdVersion(root), "etcd");
}

const etcdStep = {
  name: "etcd",
  async needed(root) {
    if (exists(etcdBin(root))) return "";
    return `building etcd ${etcdVersion(root)} from Go modules into ${path.relative(root, path.dirname(etcdBin(root)))} (first time ~1 min)`;
  },
  async run(root) {
    const bin = etcdBin(root);
    fs.mkdirSync(path.dirname(bin), { recursive: true });
    const stop = heartbeat("go build etcd");
    try {
      // Temporary name, then rename: an interrupted build never leaves a half binary.
      const tmp = `${bin}.partial`;
      await run("go", ["build", "-trimpath", "-o", tmp, "."], {
        cwd: path.join(root, "tools", "etcd"),
        env: { ...process.env, CGO_ENABLED: "0", GOFLAGS: "-mod=mod" },
      });
      fs.renameSync(tmp, bin);
    } finally {
      stop();
    }
    log(`  etcd ${etcdVersion(root)} built`);
  },
};

module.exports = { etcdStep, etcdBin, etcdVersion };
