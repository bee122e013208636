// The heartbeat (store/heartbeat.ts) against a fake 3-member etcd (tests/support/fake-etcd.ts):
// - H1: a member that never answers does not delay validity, and nothing is cancelled or reset;
//   a leader election (every member holds renewals for T, then answers) leaves no gap beyond T;
// - C1: a TTL-0 answer sets lostAt, stops renewals, and no lease is granted until join();
// - C2: a join whose presence put fails throws and the next join()/putPresence() puts the key
//   on the same lease; a deleted presence key is put back;
// - C3: status().ttlMs is the TTL the store granted (raised to its minimum);
// - L8: a member whose re-authentication hangs does not hold up the others, and a
//   re-authentication opens no new connection.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { Heartbeat, type HeartbeatOptions } from "../../../provider/runtime/store/heartbeat";
import { FakeEtcd } from "../../support/fake-etcd";

const now = () => performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const KEY = "/vmha/t/leases/h1";

const cleanup: Array<() => void> = [];
after(() => {
  for (const f of cleanup.reverse()) f();
});

async function fakeCluster(n = 3, o: Parameters<typeof FakeEtcd.start>[1] = {}): Promise<FakeEtcd> {
  const f = await FakeEtcd.start(n, o);
  cleanup.push(() => f.stop());
  return f;
}

function heartbeat(fake: FakeEtcd, extra: Partial<HeartbeatOptions> = {}): Heartbeat {
  const h = new Heartbeat({
    endpoints: fake.endpoints,
    host: "h1",
    presenceKey: KEY,
    presenceValue: (lease) => JSON.stringify({ host: "h1", lease }),
    intervalMs: 100,
    now,
    callTimeoutMs: 500,
    log: process.env.HB_LOG ? (l, m) => console.log(`${now().toFixed(0)} ${l} ${m}`) : undefined,
    ...extra,
  });
  cleanup.push(() => h.close());
  return h;
}

async function waitFor(cond: () => boolean, ms: number, what: string): Promise<number> {
  const t0 = now();
  while (!cond()) {
    if (now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(5);
  }
  return now() - t0;
}

/** Samples now - lastAckSentAt every 5 ms for `ms`; returns the largest value seen. */
async function maxStaleness(h: Heartbeat, ms: number): Promise<number> {
  let max = 0;
  const end = now() + ms;
  while (now() < end) {
    max = Math.max(max, now() - h.status().lastAckSentAt);
    await sleep(5);
  }
  return max;
}

test("H1: a member that never answers renewals delays nothing; no stream is cancelled or reopened", async () => {
  const fake = await fakeCluster();
  fake.members[0]!.keepAlive = "silent"; // a follower waiting for a leader that never comes
  const h = heartbeat(fake);
  await h.join(1000);
  const id = h.status().id;
  h.start();
  const stale = await maxStaleness(h, 2000);
  const s = h.status();
  assert.equal(s.lostAt, undefined);
  assert.ok(stale < s.ttlMs, `validity lapsed: ${stale.toFixed(0)} ms without a fresh ack (TTL ${s.ttlMs})`);
  assert.ok(
    stale < 600,
    `renewals delayed: ${stale.toFixed(0)} ms between acknowledged sends (interval 100 ms)`,
  );
  const [m0, m1, m2] = fake.members;
  // Renewals went to the silent member too (sent in parallel, not failed over to)...
  assert.ok(m0!.stats.keepalives >= 10, `silent member got ${m0!.stats.keepalives} renewals`);
  assert.equal(m0!.stats.answered, 0);
  // ...and the others answered them.
  for (const m of [m1!, m2!])
    assert.ok(m.stats.answered >= 10, `member ${m.index} answered ${m.stats.answered}`);
  // Nothing cancelled; the answering members kept their one stream (nothing reset or reopened);
  // the silent one got at most the additional streams (4 in all), none cancelled.
  for (const m of [m1!, m2!]) assert.equal(m.stats.streamsOpened, 1, `member ${m.index}: streams opened`);
  assert.ok(m0!.stats.streamsOpened <= 4, `silent member: ${m0!.stats.streamsOpened} streams`);
  for (const m of fake.members)
    assert.equal(m.stats.streamsCancelled, 0, `member ${m.index}: streams cancelled`);
  assert.deepEqual(fake.grants, [id]);
  console.log(`# silent member: largest staleness ${stale.toFixed(0)} ms (interval 100, TTL ${s.ttlMs})`);
});

for (const holdMs of [400, 900, 1500]) {
  test(`H1: a leader election holding every renewal for ${holdMs} ms leaves no gap beyond it; nothing cancelled`, async () => {
    const fake = await fakeCluster();
    const interval = 250;
    let changes = 0;
    let gapAckAt = 0;
    let gapAckSentAt = 0;
    const h: Heartbeat = heartbeat(fake, {
      intervalMs: interval,
      onChange: () => {
        changes++;
        gapAckAt = now();
        // Read synchronously in the ack's own callback: exactly the ack that ended the gap.
        gapAckSentAt = h.status().lastAckSentAt;
      },
    });
    await h.join(2000);
    h.start();
    await sleep(600);
    assert.equal(changes, 0, "onChange without a gap");
    for (const m of fake.members) m.keepAlive = "hold";
    // Answers already on their way when the hold began may still land: let them, then start the
    // clock (on a loaded machine they can trail by tens of ms).
    await sleep(interval / 2);
    const before = h.status().lastAckSentAt;
    const staleDuringHold = await maxStaleness(h, holdMs);
    assert.equal(h.status().lastAckSentAt, before, "an ack during the hold");
    const releaseAt = now();
    fake.members.forEach((m, i) => {
      m.answerDelayMs = i * 20; // the followers notice the new leader at different times
      m.release();
    });
    await waitFor(() => h.status().lastAckSentAt > before, 3000, "the first ack after the election");
    const firstAck = now();
    const jumped = h.status().lastAckSentAt;
    assert.ok(jumped > before, "no progress after the election");
    await sleep(2 * interval);
    const s = h.status();
    assert.equal(s.lostAt, undefined);
    // After the queue drained, the newest acked send is recent again.
    assert.ok(
      now() - s.lastAckSentAt < 2 * interval + 300,
      `stale after the election: ${now() - s.lastAckSentAt}`,
    );
    // The whole outage cost the hold plus at most about one interval, far below the TTL.
    const gap = firstAck - before;
    assert.ok(
      staleDuringHold < holdMs + interval + 300,
      `gap ${staleDuringHold.toFixed(0)} ms for a ${holdMs} ms hold`,
    );
    assert.ok(gap < s.ttlMs, `validity lapsed: ${gap.toFixed(0)} ms between acks (TTL ${s.ttlMs})`);
    // onChange's contract: called for an ack that ends a staleness of more than two intervals
    // (the loop then re-evaluates at once). Whether a 400 ms hold crosses 500 ms depends on how
    // long before the hold the last acked renewal was sent (0-250 ms), so the test computes it.
    const stalenessAtAck = firstAck - before;
    // (firstAck is polled, so it may trail the ack by a few ms on a loaded machine: a band
    // around the threshold is not judged.)
    if (stalenessAtAck > 2 * interval + 100) {
      assert.ok(
        changes >= 1 && gapAckAt >= releaseAt,
        `no onChange for the first ack after ${stalenessAtAck.toFixed(0)} ms without one (changes ${changes})`,
      );
      assert.ok(gapAckSentAt > before, "the gap-ending ack moved validity forward");
    } else if (stalenessAtAck < 2 * interval - 20)
      assert.equal(changes, 0, `onChange after only ${stalenessAtAck.toFixed(0)} ms without an ack`);
    for (const m of fake.members) {
      assert.ok(m.stats.streamsOpened <= 4, `member ${m.index}: ${m.stats.streamsOpened} streams opened`);
      assert.equal(m.stats.streamsCancelled, 0, `member ${m.index}: streams cancelled`);
    }
    assert.equal(fake.grants.length, 1);
    console.log(
      `# hold ${holdMs} ms: release -> first ack ${(firstAck - releaseAt).toFixed(0)} ms; ack covers a send ` +
        `${(releaseAt - (gapAckSentAt || jumped)).toFixed(0)} ms before release; newest acked send after drain ` +
        `${(now() - s.lastAckSentAt).toFixed(0)} ms old; longest staleness ${Math.max(staleDuringHold, firstAck - before).toFixed(0)} ms`,
    );
  });
}

test("H1: streams wedged behind a forward to a stopped leader: renewals move to additional streams, none cancelled", async () => {
  const fake = await fakeCluster();
  const h = heartbeat(fake, { intervalMs: 250 });
  await h.join(2000);
  h.start();
  await waitFor(() => fake.members.every((m) => m.stats.answered >= 2), 3000, "every member answering");
  // The leader stops (its stream never answers) and each follower's stream is stuck behind a
  // forward to it; a stream opened later is served (the followers know the new leader by then).
  fake.members[0]!.keepAlive = "silent";
  for (const m of fake.members) m.wedgeOpenStreams();
  const t0 = now();
  const before = h.status().lastAckSentAt;
  await waitFor(() => h.status().lastAckSentAt > t0, 3000, "an ack of a renewal sent after the wedge");
  const recovered = now() - t0;
  const stale = Math.max(now() - before, await maxStaleness(h, 1000));
  assert.ok(stale < h.status().ttlMs, `validity lapsed: ${stale.toFixed(0)} ms`);
  assert.equal(h.status().lostAt, undefined);
  for (const m of fake.members) {
    assert.equal(m.stats.streamsCancelled, 0, `member ${m.index}: a slow stream was cancelled`);
    assert.ok(
      m.stats.streamsOpened >= 2 && m.stats.streamsOpened <= 4,
      `member ${m.index}: ${m.stats.streamsOpened}`,
    );
  }
  console.log(
    `# wedged streams: first ack of a renewal sent after the wedge ${recovered.toFixed(0)} ms later; staleness ${stale.toFixed(0)} ms`,
  );
});

test("C1: one member answering TTL 0 sets lostAt and stops renewals; no lease is granted until join()", async () => {
  const fake = await fakeCluster();
  let changes = 0;
  const errors: string[] = [];
  const h = heartbeat(fake, {
    onChange: () => changes++,
    log: (level, m) => {
      if (level === "error") errors.push(m);
    },
  });
  await h.join(1000);
  const first = h.status();
  assert.equal(first.generation, 1);
  h.start();
  await waitFor(() => fake.keepalivesFor(first.id).length >= 9, 3000, "three renewal rounds");
  fake.members[2]!.ttlZero = true;
  await waitFor(() => h.status().lostAt !== undefined, 3000, "lostAt");
  const lost = h.status();
  assert.equal(lost.id, first.id, "the lost lease stays reported until join()");
  assert.equal(lost.generation, 1);
  assert.equal(changes, 1, "onChange on loss");
  // Revoked 100-200 ms after an acknowledged renewal: the log says the store did what a resumed
  // stale etcd leader does, so an operator is not left to guess why a healthy host isolated.
  assert.equal(errors.length, 1);
  assert.match(errors[0]!, /is gone .*less than its TTL \(1000 ms\).*etcd-io\/etcd#15247/);
  await sleep(150); // renewals written before the loss may still arrive
  const sentAfterLoss = fake.keepalivesFor(first.id).length;
  await sleep(1000); // ten intervals
  assert.equal(fake.keepalivesFor(first.id).length, sentAfterLoss, "renewals continued after the loss");
  assert.deepEqual(fake.grants, [first.id], "a lease was granted without join()");
  assert.equal(h.status().lostAt, lost.lostAt);
  await assert.rejects(h.putPresence(), /lost/);

  fake.members[2]!.ttlZero = false;
  await h.join(1000);
  const s = h.status();
  assert.equal(fake.grants.length, 2);
  assert.equal(s.id, fake.grants[1]);
  assert.equal(s.generation, 2);
  assert.equal(s.lostAt, undefined);
  assert.equal(fake.kv.get(KEY)?.lease, s.id);
  const n = fake.keepalivesFor(s.id).length;
  await waitFor(() => fake.keepalivesFor(s.id).length >= n + 6, 3000, "renewals of the new lease");
  assert.ok(h.status().lastAckSentAt > s.lastAckSentAt);
});

test("C2: a join whose presence put fails throws; the next join() puts the key on the same lease", async () => {
  const fake = await fakeCluster();
  const h = heartbeat(fake);
  h.start();
  fake.failPutsAfterGrant = 3; // every member's Put fails once after the grant
  await assert.rejects(h.join(1000), /granted .* but the put of \/vmha\/t\/leases\/h1 failed/);
  assert.equal(fake.grants.length, 1);
  const granted = fake.grants[0]!;
  assert.equal(h.status().id, "", "joined without a presence key");
  assert.equal(h.status().generation, 0);
  assert.equal(fake.kv.has(KEY), false);
  await sleep(1500); // longer than the 1 s TTL: the kept lease must be renewed meanwhile
  assert.ok(fake.leases.get(granted)!.renewals >= 5, "the granted lease was not kept alive");
  await h.join(1000);
  assert.deepEqual(fake.grants, [granted], "a second lease was granted (leak)");
  assert.equal(h.status().id, granted);
  assert.equal(h.status().generation, 1);
  assert.deepEqual(fake.kv.get(KEY), {
    value: JSON.stringify({ host: "h1", lease: granted }),
    lease: granted,
  });
});

test("C2: putPresence() completes a failed join; a presence key deleted while the lease lives is put back", async () => {
  const fake = await fakeCluster();
  const h = heartbeat(fake);
  h.start();
  fake.failPutsAfterGrant = 3;
  await assert.rejects(h.join(1000));
  const granted = fake.grants[0]!;
  await h.putPresence();
  assert.equal(fake.kv.get(KEY)?.lease, granted);
  assert.equal(h.status().id, granted);
  assert.equal(fake.grants.length, 1);
  fake.kv.delete(KEY); // an operator "cleaning stale leases"
  await h.putPresence();
  assert.equal(fake.kv.get(KEY)?.lease, granted);
  assert.equal(fake.grants.length, 1);
});

test("C2: a kept lease is revoked when a join with another TTL abandons it; a dropped one is re-granted", async () => {
  const fake = await fakeCluster();
  const h = heartbeat(fake);
  fake.failPutsAfterGrant = 3;
  await assert.rejects(h.join(1000));
  const abandoned = fake.grants[0]!;
  fake.failPutsAfterGrant = 0;
  await h.join(3000);
  assert.deepEqual(fake.revoked, [abandoned], "the abandoned lease leaked");
  const second = fake.grants[1]!;
  assert.equal(h.status().id, second);
  assert.equal(fake.kv.get(KEY)?.lease, second);

  // A kept lease that etcd dropped before the retry: the retry grants a new one within the join.
  const h2 = heartbeat(fake, { presenceKey: "/vmha/t/leases/h2" });
  fake.failPutsAfterGrant = 3;
  await assert.rejects(h2.join(1000));
  const dropped = fake.grants[2]!;
  fake.failPutsAfterGrant = 0;
  fake.expire(dropped);
  await h2.join(1000);
  assert.equal(fake.grants.length, 4);
  assert.equal(fake.kv.get("/vmha/t/leases/h2")?.lease, fake.grants[3]);
});

test("C3: the TTL is join()'s, in whole seconds, and status() reports the one the store granted", async () => {
  const fake = await fakeCluster();
  const h = heartbeat(fake);
  await h.join(1200);
  assert.equal(fake.leases.get(h.status().id)!.ttlS, 2, "ceil(1200 ms) = 2 s");
  assert.equal(h.status().ttlMs, 2000);
  fake.minTtlS = 3; // etcd raises a TTL below its minimum
  await h.join(1000);
  assert.equal(h.status().ttlMs, 3000);
  assert.equal(h.status().generation, 2);
  assert.deepEqual(fake.revoked, [fake.grants[0]], "the superseded lease was not revoked");
});

test("L5/L8: a member whose re-authentication hangs holds up nothing; re-authentication reuses the connection", async () => {
  const auth = { username: "vmha", password: "s3cret" };
  const fake = await fakeCluster(3, { auth, checkStreamTokens: true });
  const h = heartbeat(fake, { auth });
  await h.join(1000);
  h.start();
  await waitFor(() => fake.members.every((m) => m.stats.answered >= 3), 3000, "every member answering");
  // Tokens expire; member 0 drops its stream and its Authenticate hangs (a raft request
  // during an election).
  fake.invalidateTokens();
  fake.members[0]!.authDelayMs = 3000;
  fake.members[0]!.dropStreams();
  // Held up, staleness would grow through the whole 2 s window (the hang lasts 3 s); healthy, it
  // stays near one interval plus the other members' quick re-authentication. The margin is for
  // a loaded machine (661 ms was seen with a 1 s window and a CPU hog).
  const stale = await maxStaleness(h, 2000);
  assert.ok(stale < 1200, `renewals held up by member 0's re-authentication: ${stale.toFixed(0)} ms`);
  // A unary call goes to a member that answers, re-authenticates there, and succeeds.
  const t0 = now();
  await h.putPresence();
  const putMs = now() - t0;
  assert.ok(putMs < 1500, `putPresence took ${putMs.toFixed(0)} ms`);
  const reauthed = fake.members.slice(1).filter((m) => m.stats.authenticates >= 2);
  assert.equal(reauthed.length, 1, "the put re-authenticated on one answering member");
  for (const m of fake.members.slice(1)) {
    // Every Authenticate on this member came over the connection its keepalive stream uses.
    assert.deepEqual(
      new Set(m.stats.authPeers),
      new Set(m.stats.streamPeers),
      `member ${m.index}: a new connection`,
    );
    assert.equal(m.stats.streamsCancelled, 0);
  }
  // Member 0 comes back on its own once its authentication completes.
  await waitFor(
    () => fake.members[0]!.stats.streamsOpened >= 2 && fake.members[0]!.stats.answered > 3,
    8000,
    "m0",
  );
  assert.equal(
    new Set(fake.members[0]!.stats.authPeers).size,
    1,
    "member 0: re-authentication opened a connection",
  );
  console.log(
    `# auth: putPresence while member 0 re-authenticates: ${putMs.toFixed(0)} ms; staleness ${stale.toFixed(0)} ms`,
  );
});

test("resume: a living lease is taken over and renewed; a gone one is refused", async () => {
  const fake = await fakeCluster();
  const a = heartbeat(fake);
  await a.join(1000);
  const id = a.status().id;
  a.close();
  const b = heartbeat(fake);
  assert.equal(await b.resume(id), true);
  const s = b.status();
  assert.equal(s.id, id);
  assert.equal(s.generation, 1);
  assert.equal(s.ttlMs, 1000);
  assert.ok(now() - s.lastAckSentAt < 1000);
  fake.expire(id);
  const c = heartbeat(fake);
  assert.equal(await c.resume(id), false);
  assert.equal(c.status().id, "");
});

test("handOff: presence moves to a grace lease, the old lease is revoked, renewals stop", async () => {
  const fake = await fakeCluster();
  const h = heartbeat(fake);
  await h.join(1000);
  h.start();
  const old = h.status().id;
  const next = await h.handOff(10);
  assert.notEqual(next, old);
  assert.equal(fake.kv.get(KEY)?.lease, next);
  assert.deepEqual(fake.revoked, [old]);
  assert.equal(h.status().id, next);
  assert.equal(h.status().ttlMs, 10000);
  assert.equal(h.status().generation, 2);
  await sleep(150);
  const n = fake.keepalivesFor(next).length;
  await sleep(500);
  assert.equal(fake.keepalivesFor(next).length, n, "the grace lease is renewed");
  assert.equal(n, 0);
});
