// Review finding 11 on a real etcd: only an unreachable store is retried and called
// "unreachable"; authentication, permission and size failures are terminal at once, name what
// to change, and never echo the password. The single spec key is guarded by size before etcd
// sees it (check and write), and etcd's own "too large" answer is read the same way.
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { dispatchV1, type Method } from "../../../provider/core/entry";
import { RetryableError, TerminalError } from "../../../provider/core/errors";
import { closeAll } from "../../../provider/kvm/connection";
import type { EtcdConnection } from "../../../provider/kvm/connection.schema";
import { readSpec, updateSpec } from "../../../provider/kvm/spec-store";
import { startEtcd, type TestEtcd } from "../../support/etcd";

const PW = "correct-horse-9";
let etcd: TestEtcd;

const ctl = (...args: string[]) => {
  const r = spawnSync("etcdctl", ["--endpoints", etcd.endpoint, ...args], { encoding: "utf8" });
  assert.equal(r.status, 0, `etcdctl ${args.join(" ")}: ${r.stderr}`);
};
const as = (username?: string, password?: string): EtcdConnection => ({
  endpoints: [etcd.endpoint],
  ...(username ? { username, password: password ?? PW, insecure: true } : {}),
});
const clusterCreate = (c: EtcdConnection, name = "ae") =>
  dispatchV1({
    key: "kvm:Cluster",
    module: "provider/kvm/resources/cluster",
    method: "create",
    args: [{ name, etcd: c, hosts: { h1: { cpu: 8, memoryMiB: 8192 }, h2: { cpu: 8, memoryMiB: 8192 } } }],
  });
const vm = (method: Method, args: unknown[]) =>
  dispatchV1({ key: "kvm:VirtualMachine", module: "provider/kvm/resources/virtual-machine", method, args });
const bigXml = (bytes: number) =>
  `<domain type='kvm'><name>big</name><description>${"x".repeat(bytes)}</description></domain>`;

/** A terminal error, raised once (not "after N attempts"), never calling etcd unreachable. */
function terminal(re: RegExp) {
  return (e: Error) => {
    assert.equal(e.name, "TerminalError", e.message);
    assert.doesNotMatch(e.message, /after \d+ attempts|unreachable/);
    assert.ok(!e.message.includes(PW), "the password must not appear in the message");
    assert.match(e.message, re);
    return true;
  };
}

describe("etcd failures the KVM resources tell apart (real etcd)", () => {
  before(async () => {
    etcd = await startEtcd();
  });
  after(async () => {
    closeAll();
    await etcd?.stop();
  });

  it("credentials against an etcd without authentication: terminal, says to remove them", async () => {
    await assert.rejects(
      clusterCreate(as("vmha")),
      terminal(/authentication is not enabled .*remove etcd\.username/),
    );
  });

  it("with authentication on: no, wrong, and under-privileged credentials are each terminal and named", async () => {
    ctl("user", "add", `root:${PW}`);
    ctl("user", "add", `vmha:${PW}`);
    ctl("user", "add", `limited:${PW}`);
    ctl("role", "add", "vmha-rw");
    ctl("role", "add", "other-rw");
    ctl("role", "grant-permission", "vmha-rw", "--prefix=true", "readwrite", "/vmha/ae/");
    ctl("role", "grant-permission", "other-rw", "--prefix=true", "readwrite", "/other/");
    ctl("user", "grant-role", "vmha", "vmha-rw");
    ctl("user", "grant-role", "limited", "other-rw");
    ctl("auth", "enable");
    const t0 = Date.now();
    await assert.rejects(
      clusterCreate(as()),
      terminal(
        /^cluster ae: etcd of cluster ae has authentication enabled; set etcd\.username and etcd\.password/,
      ),
    );
    await assert.rejects(
      clusterCreate(as("vmha", "wrong-password")),
      terminal(
        /^cluster ae: etcd refused the credentials of user "vmha" .*check etcd\.username and etcd\.password/,
      ),
    );
    await assert.rejects(
      clusterCreate(as("limited")),
      terminal(
        /^cluster ae: etcd denied user "limited" access to \/vmha\/ae\/ .*etcdctl role grant-permission <role> --prefix=true readwrite \/vmha\/ae\//,
      ),
    );
    // Not retried: the old code slept 250 + 500 + 1000 ms between four attempts of each.
    assert.ok(Date.now() - t0 < 3000, `took ${Date.now() - t0} ms`);
    await clusterCreate(as("vmha"));
  });

  it("a spec over etcd's request limit is refused at check, on domainXml, with the size and the limit", async () => {
    const news = {
      cluster: "ae",
      etcd: as("vmha"),
      name: "big",
      domainXml: bigXml(1_700_000),
      state: "stopped",
    };
    const r = (await vm("check", [{}, news])) as { failures?: Array<{ property: string; reason: string }> };
    assert.deepEqual(
      r.failures?.map((f) => f.property),
      ["domainXml"],
    );
    assert.match(
      r.failures![0]!.reason,
      /the spec of cluster ae would be 1\.6\d MiB, one etcd value \(\/vmha\/ae\/spec\), over etcd's request limit of 1\.50 MiB \(--max-request-bytes, default 1\.5 MiB\); largest entries: big 1\.6\d MiB; .*set etcd\.maxRequestBytes/,
    );
  });

  it("and at write, before etcd sees it (a 2 MiB spec)", async () => {
    const t = { etcd: as("vmha"), cluster: "ae", subject: "test" };
    await assert.rejects(
      updateSpec(t, (doc) => ({
        ...doc!,
        resources: { big: { kind: "vm", params: { domainXml: bigXml(2 << 20) } } },
      })),
      terminal(/^test: the spec of cluster ae would be 2\.00 MiB.*over etcd's request limit of 1\.50 MiB/),
    );
    assert.deepEqual((await readSpec(t))?.doc.resources, undefined, "nothing was written");
  });

  it("etcd's own 'request is too large' (a connection that assumes a larger limit) is terminal too", async () => {
    const c = { ...as("vmha"), maxRequestBytes: 8 << 20 };
    await assert.rejects(
      vm("create", [{ cluster: "ae", etcd: c, name: "big", domainXml: bigXml(1_600_000), state: "stopped" }]),
      terminal(
        /^vm big: etcd refused the write of cluster ae's spec as too large .*request is too large.*--max-request-bytes/,
      ),
    );
  });

  it("a spec that changes under every compare-and-swap fails once, with what to do (not as unreachable)", async () => {
    const t = { etcd: as("vmha"), cluster: "ae", subject: "vm web" };
    let writes = 0;
    await assert.rejects(
      updateSpec(
        t,
        (doc) => {
          // Another writer changes the spec between our read and our txn, every time.
          ctl("--user", `vmha:${PW}`, "put", "/vmha/ae/spec", JSON.stringify({ ...doc, x: ++writes }));
          return { ...doc!, resources: { web: { kind: "vm" } } };
        },
        3,
      ),
      terminal(
        /^vm web: the spec of cluster ae changed under every one of 3 compare-and-swap attempts .*lower --parallel/,
      ),
    );
    assert.equal(writes, 3);
  });

  it("an unreachable etcd is the one retryable failure", async () => {
    const t = { etcd: { endpoints: ["127.0.0.1:1"] }, cluster: "ae", subject: "cluster ae" };
    await assert.rejects(readSpec(t), (e: Error) => {
      assert.ok(e instanceof RetryableError && !(e instanceof TerminalError), e.message);
      assert.match(e.message, /^cluster ae: etcd of cluster ae unreachable: /);
      return true;
    });
  });
});
