// The watch-fed store serves the same view object while its copy is unchanged, and a new one on
// any change (another host's write, its own write, a full read); the loop's check is memoized on
// that object (core/view-memo.ts), so an unchanged view is neither re-parsed nor re-validated,
// and a changed one always is.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { checkViewOnce } from "../../../provider/runtime/core/view-memo";
import { EtcdStore } from "../../../provider/runtime/store/etcd-store";
import { Heartbeat } from "../../../provider/runtime/store/heartbeat";
import { clusterPrefix, K } from "../../../provider/runtime/store/keys";
import { startEtcd, type TestEtcd } from "../../support/etcd";

let etcd: TestEtcd;
let beat: Heartbeat;
let store: EtcdStore;
let other: EtcdStore;

before(async () => {
  etcd = await startEtcd();
  beat = new Heartbeat({
    endpoints: [etcd.endpoint],
    host: "a",
    presenceKey: `${clusterPrefix("memo")}${K.lease("a")}`,
    presenceValue: (lease) => JSON.stringify({ host: "a", lease }),
    intervalMs: 250,
    now: () => performance.now(),
  });
  await beat.join(2000);
  beat.start();
  const opts = { cluster: "memo", endpoints: [etcd.endpoint], callTimeoutMs: 500 };
  store = new EtcdStore({
    ...opts,
    host: "a",
    leaseId: () => beat.status().id,
    watchCache: true,
    fullReadEveryMs: 60000,
  });
  other = new EtcdStore({ ...opts, host: "b" });
});
after(async () => {
  await store?.close(false);
  await other?.close(false);
  beat?.close();
  await etcd?.stop();
});

const report = (host: string, at: number) =>
  JSON.stringify({ host, at, managerRevision: 0, listed: true, busy: [], running: [], failed: {} });

async function until<T>(what: string, f: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const v = await f();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`never: ${what}`);
}

test("unchanged copy: the same view and the same check; every change: a new view, checked anew", async () => {
  await other.ns.put(K.report("b")).value(report("b", 1)).exec();
  await other.ns
    .put(K.report("c"))
    .value(JSON.stringify({ host: "not-c" }))
    .exec();
  const v1 = await until("b's report", async () => {
    const v = await store.read();
    return v.reports["b"] ? v : undefined;
  });
  const v2 = await store.read();
  assert.equal(v2, v1, "nothing changed: the same view object");
  const c1 = checkViewOnce(v1);
  assert.equal(checkViewOnce(v2), c1);
  assert.deepEqual(
    c1.rejected.map((r) => r.key),
    ["reports/c"],
  );

  // another host's write, seen through the watch
  await other.ns.put(K.report("b")).value(report("b", 2)).exec();
  const v3 = await until("b's new report", async () => {
    const v = await store.read();
    return v !== v1 ? v : undefined;
  });
  assert.equal(v3.reports["b"]?.at, 2);
  assert.ok(v3.revision > v1.revision);
  const c3 = checkViewOnce(v3);
  assert.notEqual(c3, c1);
  assert.equal(c3.view.reports["b"]?.at, 2);

  // its own write, applied to the copy at once
  await store.report({
    host: "a",
    at: 3,
    managerRevision: 0,
    listed: true,
    busy: [],
    running: [],
    failed: {},
  });
  const v4 = await store.read();
  assert.notEqual(v4, v3);
  assert.equal(v4.reports["a"]?.at, 3);
  assert.equal(await store.read(), v4);

  // a delete
  await other.ns.delete().key(K.report("c")).exec();
  const v5 = await until("c's report gone", async () => {
    const v = await store.read();
    return v.reports["c"] === undefined ? v : undefined;
  });
  assert.notEqual(v5, v4);
  assert.deepEqual(checkViewOnce(v5).rejected, []);

  // a full read (after a failed call the copy is not trusted) builds a new view of equal content
  store.invalidateView();
  const v6 = await store.read();
  assert.notEqual(v6, v5);
  assert.deepEqual(v6, v5);
});

test("the election key read from a served-again view still decides campaign()", async () => {
  assert.equal(await store.campaign(true), true);
  const v1 = await store.read();
  assert.equal(v1.primary, "a");
  assert.equal(await store.read(), v1);
  assert.equal(await store.campaign(true), true, "still the holder");
  assert.ok(store.term !== undefined);
  await store.resign();
  const v2 = await store.read();
  assert.notEqual(v2, v1);
  assert.equal(v2.primary, undefined);
  assert.equal(store.term, undefined);
});
