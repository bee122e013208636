// The etcd server every test and the lab run: the one scripts/setup/etcd.js builds from Go
// modules at the version tools/etcd/go.mod pins, never whatever `etcd` is on PATH. Debian's
// etcd-server 3.4.23 has etcd-io/etcd#15247 (a stalled leader, on resuming, revokes leases the
// new leader kept renewing), which vmha's safety does not survive; see README "Known limits".
import * as fs from "node:fs";
import * as path from "node:path";

function findRoot(from: string): string {
  for (let d = from; ; d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, "tools", "etcd", "go.mod"))) return d;
    if (path.dirname(d) === d) throw new Error(`no tools/etcd/go.mod above ${from}`);
  }
}

export function etcdVersion(root = findRoot(__dirname)): string {
  const mod = fs.readFileSync(path.join(root, "tools", "etcd", "go.mod"), "utf8");
  const m = /go\.etcd\.io\/etcd\/server\/v3 (v[0-9.]+)/.exec(mod);
  if (!m) throw new Error("tools/etcd/go.mod does not require go.etcd.io/etcd/server/v3");
  return m[1]!;
}

/** Absolute path of the etcd binary; throws saying how to build it when it is missing. */
export function etcdBinary(): string {
  const root = findRoot(__dirname);
  const bin = path.join(root, ".cache", "etcd", etcdVersion(root), "etcd");
  if (!fs.existsSync(bin))
    throw new Error(
      `etcd ${etcdVersion(root)} is not built (${bin} missing): run \`npm run setup\` (or \`node scripts/setup.js --only=etcd\`), which builds it from the Go module proxy`,
    );
  return bin;
}
