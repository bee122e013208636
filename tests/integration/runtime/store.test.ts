// The etcd store against a real etcd: heartbeat lease, election, the fencing token (a stale
// primary cannot write), lease resume after an agent restart, cheap reports, and an
// unreachable store raising StoreUnavailableError.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { ManagerState } from "../../../provider/runtime/env";
import { NotPrimaryError, StoreUnavailableError } from "../../../provider/runtime/env";
import { EtcdStore } from "../../../provider/runtime/store/etcd-store";
import { startEtcd, type TestEtcd } from "../../support/etcd";

let etcd: TestEtcd;
const stores: EtcdStore[] = [];

before(async () => {
  etcd = await startEtcd();
});
after(async () => {
  for (const s of stores) await s.close(false);
  await etcd.stop();
});

function store(
  host: string,
  cluster: string,
  extra: Partial<ConstructorParameters<typeof EtcdStore>[0]> = {},
): EtcdStore {
  const s = new EtcdStore({
    host,
    cluster,
    endpoints: [etcd.endpoint],
    leaseTtlS: 1,
    callTimeoutMs: 500,
    ...extra,
  });
  stores.push(s);
  return s;
}

const manager = (seq: number): ManagerState => ({
  version: 1,
  specRevision: 0,
  hosts: {},
  resources: {},
  seq,
  handledRequests: [],
});

test("heartbeat lease, one primary, CAS on the manager, stale primary refused", async () => {
  const a = store("a", "t1");
  const b = store("b", "t1");
  await a.keepalive();
  await b.keepalive();
  let v = await a.read();
  assert.deepEqual(v.leases, ["a", "b"]);
  assert.equal(await a.campaign(true), true);
  await b.read();
  assert.equal(await b.campaign(true), false, "two primaries");
  v = await a.read();
  assert.equal(v.primary, "a");
  const rev = await a.commitManager(0, manager(1));
  await assert.rejects(
    a.commitManager(0, manager(2)),
    NotPrimaryError,
    "a stale manager revision must be refused",
  );
  await assert.rejects(b.commitManager(rev, manager(2)), NotPrimaryError, "a non-primary must be refused");

  // a's lease goes (as if it expired): b is elected; a, still believing it is primary, is refused.
  await a.lease.revoke();
  await b.keepalive();
  v = await b.read();
  assert.equal(v.primary, undefined);
  assert.deepEqual(v.leases, ["b"]);
  assert.equal(await b.campaign(true), true);
  await assert.rejects(a.commitManager(rev, manager(3)), NotPrimaryError, "the stale primary wrote");
  assert.ok(await b.commitManager(rev, manager(3)));
  assert.equal((await b.read()).manager?.seq, 3);
});

test("a restarted agent resumes its lease; reports are written only when they change", async () => {
  const a = store("a", "t2");
  await a.keepalive();
  const id = a.lease.id;
  assert.equal(await a.campaign(true), true);
  a.lease.close();
  const a2 = store("a", "t2", { resumeLeaseId: id });
  await a2.keepalive();
  assert.equal(a2.lease.id, id, "lease not resumed");
  await a2.read();
  assert.equal(await a2.campaign(true), true, "the resumed agent should still hold the election");

  const rep = { host: "a", at: 1, running: ["vm1"], failed: {} };
  await a2.report(rep);
  const r1 = (await a2.ns.get("reports/a").exec()).kvs[0]!.mod_revision;
  await a2.report({ ...rep, at: 2 });
  const r2 = (await a2.ns.get("reports/a").exec()).kvs[0]!.mod_revision;
  assert.equal(r2, r1, "an unchanged report was written again");
  await a2.report({ ...rep, at: 3, running: [] });
  const r3 = (await a2.ns.get("reports/a").exec()).kvs[0]!.mod_revision;
  assert.notEqual(r3, r1);
});

test("an unreachable store raises StoreUnavailableError, and the store recovers", async () => {
  const a = store("a", "t3");
  await a.keepalive();
  await etcd.pause();
  try {
    await assert.rejects(a.keepalive(), StoreUnavailableError);
    await assert.rejects(a.read(), StoreUnavailableError);
  } finally {
    await etcd.restart();
  }
  // The lease may have expired meanwhile: keepalive grants a new one.
  for (let i = 0; ; i++) {
    try {
      await a.keepalive();
      break;
    } catch (err) {
      if (i > 40) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  assert.deepEqual((await a.read()).leases, ["a"]);
});

test("watch-fed reads: others' writes and lease expiry show up, own writes at once, CAS still guards", async () => {
  const a = store("a", "t4", { watchCache: true, fullReadEveryMs: 60000 });
  const b = store("b", "t4", { watchCache: true, fullReadEveryMs: 60000 });
  await a.keepalive();
  await b.keepalive();
  await a.read();
  await b.read();
  assert.equal(await a.campaign(true), true);
  const rev = await a.commitManager(0, manager(1));
  assert.equal((await a.read()).managerRevision, rev, "own commit not visible at once");
  const seen = async (what: string, ok: (v: Awaited<ReturnType<EtcdStore["read"]>>) => boolean) => {
    for (let i = 0; i < 100; i++) {
      if (ok(await b.read())) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.fail(`b never saw ${what}`);
  };
  await seen("a's manager commit", (v) => v.manager?.seq === 1 && v.primary === "a");
  await a.lease.revoke();
  await seen("a's lease gone", (v) => !v.leases.includes("a") && v.primary === undefined);
  assert.equal(await b.campaign(true), true);
  await assert.rejects(a.commitManager(rev, manager(2)), NotPrimaryError);
  assert.ok(await b.commitManager(rev, manager(3)));
  await seen("its own state", (v) => v.manager?.seq === 3);
});
