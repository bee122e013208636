// The heartbeat against one real etcd (tests/support/etcd.ts): the TTL etcd grants, renewals
// keeping the presence key beyond the TTL, expiry after close() without revoke (never before
// the last acknowledged send + TTL, and within TTL + 1 s), revoke, resume and hand-off.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Etcd3 } from "etcd3";
import { Heartbeat, type HeartbeatOptions } from "../../../provider/runtime/store/heartbeat";
import { startEtcd, type TestEtcd } from "../../support/etcd";

const now = () => performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let etcd: TestEtcd;
let client: Etcd3;
const beats: Heartbeat[] = [];

before(async () => {
  etcd = await startEtcd();
  client = new Etcd3({ hosts: etcd.endpoint });
});
after(async () => {
  for (const h of beats) h.close();
  client?.close();
  await etcd?.stop();
});

function heartbeat(key: string, extra: Partial<HeartbeatOptions> = {}): Heartbeat {
  const h = new Heartbeat({
    endpoints: [etcd.endpoint],
    host: "h1",
    presenceKey: key,
    presenceValue: (lease) => JSON.stringify({ host: "h1", lease }),
    intervalMs: 250,
    now,
    ...extra,
  });
  beats.push(h);
  return h;
}

async function presence(key: string): Promise<{ lease: string; value: string } | undefined> {
  const res = await client.kv.range({ key: Buffer.from(key) });
  const kv = res.kvs[0];
  return kv ? { lease: String(kv.lease), value: kv.value.toString() } : undefined;
}

test("real etcd: join grants at least the TTL asked (as etcd granted it); renewals outlive it; close() lets it expire within TTL + 1 s, never before", async () => {
  const key = "/vmha/r1/leases/h1";
  const h = heartbeat(key);
  await h.join(1000);
  h.start();
  const s = h.status();
  assert.ok(s.ttlMs >= 1000, `granted ${s.ttlMs}`);
  const ttl = await client.leaseClient.leaseTimeToLive({ ID: s.id });
  assert.equal(s.ttlMs, Number(ttl.grantedTTL) * 1000, "status().ttlMs is not what etcd granted");
  assert.deepEqual(await presence(key), { lease: s.id, value: JSON.stringify({ host: "h1", lease: s.id }) });
  await sleep(s.ttlMs + 1500);
  assert.equal((await presence(key))?.lease, s.id, "the key expired although renewed");
  assert.ok(now() - h.status().lastAckSentAt < 1000);

  h.close();
  const lastAck = h.status().lastAckSentAt;
  let goneAt = Number.NaN;
  while (now() - lastAck < s.ttlMs + 3000) {
    const sent = now();
    const p = await presence(key);
    if (!p) {
      goneAt = now();
      // etcd cannot have expired the lease before the last acknowledged send + TTL.
      assert.ok(goneAt >= lastAck + s.ttlMs, `expired ${(lastAck + s.ttlMs - goneAt).toFixed(0)} ms early`);
      break;
    }
    assert.ok(
      sent - lastAck < s.ttlMs + 1000,
      `still there ${(sent - lastAck).toFixed(0)} ms after the last ack`,
    );
    await sleep(20);
  }
  assert.ok(!Number.isNaN(goneAt), "the presence key never expired");
  console.log(
    `# close() without revoke: key gone ${(goneAt - lastAck).toFixed(0)} ms after the last acknowledged send (TTL ${s.ttlMs})`,
  );
});

test("real etcd: revoke removes the presence key at once", async () => {
  const key = "/vmha/r2/leases/h1";
  const h = heartbeat(key);
  await h.join(1000);
  h.start();
  const id = h.status().id;
  assert.equal((await presence(key))?.lease, id);
  await h.revoke();
  assert.equal(await presence(key), undefined);
  assert.equal(Number((await client.leaseClient.leaseTimeToLive({ ID: id })).TTL), -1);
  assert.equal(h.status().id, "");
});

test("real etcd: a restarted agent resumes the lease; a handed-off lease carries the presence", async () => {
  const key = "/vmha/r3/leases/h1";
  const a = heartbeat(key);
  await a.join(1000);
  a.start();
  const id = a.status().id;
  a.close(); // crash: no revoke
  const b = heartbeat(key);
  assert.equal(await b.resume(id), true);
  b.start();
  await sleep(2500);
  assert.equal((await presence(key))?.lease, id, "the resumed lease expired");
  const grace = await b.handOff(5);
  assert.equal((await presence(key))?.lease, grace);
  assert.equal(
    Number((await client.leaseClient.leaseTimeToLive({ ID: id })).TTL),
    -1,
    "old lease not revoked",
  );
  assert.equal(b.status().ttlMs, 5000);
  b.close();
  const c = heartbeat(key);
  assert.equal(await c.resume(grace), true);
  assert.equal(c.status().ttlMs, 5000);
  await c.join(1000); // back onto a normal lease; the grace one is revoked
  assert.equal((await presence(key))?.lease, c.status().id);
  assert.equal(Number((await client.leaseClient.leaseTimeToLive({ ID: grace })).TTL), -1);
  assert.equal(await heartbeat(key).resume(grace), false);
});

test("real etcd: a lease revoked while it is renewed (etcd-io/etcd#15247) is replaced at once with rejoinOnLoss; rejoinOf carries the lost lease's last ack until counted()", async () => {
  const key = "/vmha/r9/leases/h1";
  const joined: string[] = [];
  const h = heartbeat(key, { intervalMs: 100, rejoinOnLoss: true, onJoined: (id) => joined.push(id) });
  await h.join(1000);
  h.start();
  await sleep(300);
  const before = h.status();
  assert.equal(before.rejoinOf, undefined);
  assert.equal(before.askedTtlMs, 1000);
  // what a resumed, formerly frozen etcd leader does: revoke a lease its host keeps renewing
  await client.leaseClient.leaseRevoke({ ID: before.id });
  const revokedAt = now();
  let s = h.status();
  while (s.id === before.id && now() - revokedAt < 2000) {
    await sleep(10);
    s = h.status();
  }
  assert.notEqual(s.id, before.id, "no new lease within 2 s of the revocation");
  const took = now() - revokedAt;
  assert.equal(s.lostAt, undefined);
  assert.equal(s.generation, before.generation + 1);
  assert.equal(s.askedTtlMs, 1000, "the new lease keeps the TTL asked for");
  assert.ok(s.rejoinOf, "rejoinOf must be set on a lease taken after a loss");
  assert.ok(
    s.rejoinOf.lastAckSentAt >= before.lastAckSentAt && s.rejoinOf.lastAckSentAt < revokedAt,
    "rejoinOf is the lost lease's last acknowledged send",
  );
  assert.deepEqual(joined.slice(-1), [s.id]);
  assert.equal((await presence(key))?.lease, s.id, "the presence key is bound to the new lease");
  h.counted(s.id);
  assert.equal(h.status().rejoinOf, undefined, "counted() clears it");
  await sleep(1500);
  assert.equal((await presence(key))?.lease, s.id, "the new lease is renewed");
  console.log(`# revoked lease replaced ${took.toFixed(0)} ms after the revocation`);
});

test("real etcd: without rejoinOnLoss a revoked lease stays lost (the loop decides); a join after it carries rejoinOf", async () => {
  const key = "/vmha/r10/leases/h1";
  const h = heartbeat(key, { intervalMs: 100 });
  await h.join(1000);
  h.start();
  await sleep(300);
  const before = h.status();
  await client.leaseClient.leaseRevoke({ ID: before.id });
  const t0 = now();
  while (h.status().lostAt === undefined && now() - t0 < 2000) await sleep(10);
  assert.ok(h.status().lostAt !== undefined, "the loss was not noticed");
  await sleep(300);
  assert.equal(h.status().id, before.id, "took a new lease by itself");
  await h.join(1000, before.generation + 5);
  assert.equal(h.status().id, before.id, "join with a stale ifGeneration must do nothing");
  await h.join(1000, before.generation);
  const s = h.status();
  assert.notEqual(s.id, before.id);
  assert.ok(s.rejoinOf && s.rejoinOf.lastAckSentAt < t0);
});
