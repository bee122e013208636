// The etcd store against a real etcd, each with the host's heartbeat (store/heartbeat.ts) for
// its lease: election, the fencing token (a stale primary cannot write), lease resume after an
// agent restart, cheap reports, and an unreachable store raising StoreUnavailableError.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { ManagerState } from "../../../provider/runtime/env";
import { NotPrimaryError, StoreUnavailableError } from "../../../provider/runtime/env";
import { EtcdStore } from "../../../provider/runtime/store/etcd-store";
import { Heartbeat } from "../../../provider/runtime/store/heartbeat";
import { clusterPrefix, K } from "../../../provider/runtime/store/keys";
import { startEtcd, type TestEtcd } from "../../support/etcd";

let etcd: TestEtcd;
const stores: EtcdStore[] = [];
const beats: Heartbeat[] = [];

before(async () => {
  etcd = await startEtcd();
});
after(async () => {
  for (const s of stores) await s.close(false);
  for (const b of beats) b.close();
  await etcd.stop();
});

type Agent = EtcdStore & { beat: Heartbeat };

/** A host's store with its own heartbeat (joined), as the agent wires them. */
async function store(
  host: string,
  cluster: string,
  extra: Partial<ConstructorParameters<typeof EtcdStore>[0]> = {},
  resume?: string,
): Promise<Agent> {
  const beat = new Heartbeat({
    endpoints: [etcd.endpoint],
    host,
    presenceKey: `${clusterPrefix(cluster)}${K.lease(host)}`,
    presenceValue: (lease) => JSON.stringify({ host, lease }),
    intervalMs: 250,
    now: () => performance.now(),
  });
  beats.push(beat);
  if (!(resume && (await beat.resume(resume)))) await beat.join(1000);
  beat.start();
  const s = new EtcdStore({
    host,
    cluster,
    endpoints: [etcd.endpoint],
    callTimeoutMs: 500,
    leaseId: () => beat.status().id,
    ...extra,
  });
  stores.push(s);
  return Object.assign(s, { beat });
}

const report = (o: object) => ({
  host: "a",
  at: 1,
  managerRevision: 0,
  listed: true,
  busy: [],
  running: ["vm1"],
  failed: {},
  ...o,
});

const manager = (seq: number): ManagerState => ({
  version: 1,
  specRevision: 0,
  hosts: {},
  resources: {},
  seq,
  handledRequests: [],
});

test("heartbeat lease, one primary, CAS on the manager, stale primary refused", async () => {
  const a = await store("a", "t1");
  const b = await store("b", "t1");
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
  await a.beat.revoke();
  v = await b.read();
  assert.equal(v.primary, undefined);
  assert.deepEqual(v.leases, ["b"]);
  assert.equal(await b.campaign(true), true);
  await assert.rejects(a.commitManager(rev, manager(3)), NotPrimaryError, "the stale primary wrote");
  assert.ok(await b.commitManager(rev, manager(3)));
  assert.equal((await b.read()).manager?.seq, 3);
});

test("a restarted agent resumes its lease; reports are written only when they change", async () => {
  const a = await store("a", "t2");
  await a.read();
  const id = a.beat.status().id;
  assert.equal(await a.campaign(true), true);
  a.beat.close();
  const a2 = await store("a", "t2", {}, id);
  assert.equal(a2.beat.status().id, id, "lease not resumed");
  await a2.read();
  assert.equal(await a2.campaign(true), true, "the resumed agent should still hold the election");

  const rep = report({});
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
  const a = await store("a", "t3");
  await etcd.pause();
  try {
    await assert.rejects(a.read(), StoreUnavailableError);
  } finally {
    await etcd.restart();
  }
  for (let i = 0; ; i++) {
    try {
      await a.read();
      break;
    } catch (err) {
      if (i > 40) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  // the lease may have expired meanwhile: the heartbeat says so and only join() takes a new one
  if (a.beat.status().lostAt !== undefined) await a.beat.join(1000);
  assert.deepEqual((await a.read()).leases, ["a"]);
});

test("watch-fed reads: others' writes and lease expiry show up, own writes at once, CAS still guards", async () => {
  const a = await store("a", "t4", { watchCache: true, fullReadEveryMs: 60000 });
  const b = await store("b", "t4", { watchCache: true, fullReadEveryMs: 60000 });
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
  await a.beat.revoke();
  await seen("a's lease gone", (v) => !v.leases.includes("a") && v.primary === undefined);
  assert.equal(await b.campaign(true), true);
  await assert.rejects(a.commitManager(rev, manager(2)), NotPrimaryError);
  assert.ok(await b.commitManager(rev, manager(3)));
  await seen("its own state", (v) => v.manager?.seq === 3);
});

test("the commit that begins fencing is refused while the host's lease key exists (CommitGuard), and lands once it is gone; leaseIds name each key's lease", async () => {
  const a = await store("a", "t5");
  const b = await store("b", "t5");
  let v = await a.read();
  assert.equal(await a.campaign(true), true);
  assert.deepEqual(v.leaseIds, { a: a.beat.status().id, b: b.beat.status().id });
  const rev = await a.commitManager(0, manager(1));
  await a.read();
  await assert.rejects(
    a.commitManager(rev, manager(2), { absentLeases: ["b"] }),
    (err: Error) =>
      err instanceof NotPrimaryError && /b \(to be fenced\) came back with a new lease/.test(err.message),
    "b's key exists: the fencing commit must be refused",
  );
  await b.beat.revoke();
  v = await a.read();
  assert.equal(await a.campaign(true), true, "a still holds the election after the refused commit");
  assert.deepEqual(v.leases, ["a"]);
  const rev2 = await a.commitManager(rev, manager(2), { absentLeases: ["b"] });
  assert.ok(rev2 > rev);
  assert.equal((await a.read()).manager?.seq, 2);
});
