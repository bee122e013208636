// The heartbeat against a real 3-member etcd on loopback: the leader is stopped (SIGSTOP, so it
// is unreachable rather than refusing) or killed, and the heartbeat must keep its lease valid
// through the election, with a 2 s TTL (the review's sizing for a 250 ms election timeout).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Heartbeat } from "../../../provider/runtime/store/heartbeat";
import { type RealEtcdCluster, startEtcdCluster } from "../../support/fake-etcd-cluster";

const now = () => performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let cluster: RealEtcdCluster;

before(async () => {
  cluster = await startEtcdCluster(3);
});
after(async () => {
  await cluster?.stop();
});

// Three stops of the leader (SIGSTOP, resumed after the window), then one kill.
const rounds = ["SIGSTOP", "SIGSTOP", "SIGSTOP", "SIGKILL"] as const;
for (const [i, how] of rounds.entries()) {
  test(`real 3-member etcd, round ${i + 1}: the leader ${how === "SIGSTOP" ? "stops answering" : "is killed"}; the lease stays valid`, async (t) => {
    const log: string[] = [];
    const h = new Heartbeat({
      endpoints: cluster.endpoints,
      host: `h${i}`,
      presenceKey: `/vmha/t/leases/h${i}`,
      presenceValue: (lease) => JSON.stringify({ lease }),
      intervalMs: 250,
      now,
      callTimeoutMs: 1000,
      log: (l, m) => log.push(`${now().toFixed(0)} ${l} ${m}`),
    });
    t.after(() => h.close());
    await h.join(2000);
    h.start();
    await sleep(1000);
    const live = cluster.members.filter((m) => m.proc.exitCode === null && m.proc.signalCode === null);
    const leader = cluster.leader(live);
    assert.ok(leader, "no leader");
    const before = h.status();
    const t0 = now();
    const ackBefore = before.lastAckSentAt;
    leader.proc.kill(how);
    let maxStale = 0;
    let firstAckAfter = Number.NaN;
    while (now() - t0 < 4000) {
      const s = h.status();
      maxStale = Math.max(maxStale, now() - s.lastAckSentAt);
      if (Number.isNaN(firstAckAfter) && s.lastAckSentAt > t0) firstAckAfter = now() - t0;
      await sleep(5);
    }
    const newLeader = cluster.leader(live.filter((m) => m !== leader));
    if (how === "SIGSTOP") leader.proc.kill("SIGCONT");
    const s = h.status();
    console.log(
      `# round ${i + 1}: leader ${leader.name} ${how}, new leader ${newLeader?.name}: first ack of a renewal sent ` +
        `after it ${firstAckAfter.toFixed(0)} ms later; longest staleness ${maxStale.toFixed(0)} ms ` +
        `(TTL ${s.ttlMs} ms, interval 250, last ack before: ${(t0 - ackBefore).toFixed(0)} ms)`,
    );
    if (process.env.HB_LOG) console.log(log.join("\n"));
    assert.equal(s.lostAt, undefined, `lease lost:\n${log.join("\n")}`);
    assert.equal(s.id, before.id);
    assert.ok(
      maxStale < s.ttlMs,
      `validity lapsed: ${maxStale.toFixed(0)} ms without proof (TTL ${s.ttlMs})`,
    );
    if (how === "SIGSTOP") {
      // the stopped member rejoins as a follower before the next round
      const deadline = now() + 10000;
      while (!cluster.leader(live) && now() < deadline) await sleep(100);
      await sleep(1000);
    }
  });
}
