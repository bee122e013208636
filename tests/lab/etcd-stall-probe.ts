#!/usr/bin/env node
// npm run lab:etcd-stall-probe -- --stall-ms 2500 --rounds 20   (on a lab up with --etcd 3)
// Measures what a frozen etcd leader does to a lease renewed the way an agent renews its own: a
// probe heartbeat (store/heartbeat.ts, 250 ms) on every member; each round SIGSTOPs the raft
// leader for --stall-ms, then SIGCONTs it, and records the lease's longest staleness and whether
// etcd then reported it gone (and what every member says of it). This is how etcd-io/etcd#15247
// was found to revoke live leases after a leader freeze, in 3.4.23 and in 3.6.16 (README, Known
// limits). Last line, JSON: {"rounds","stall_ms","leases_revoked","max_staleness_ms"}.
import { spawnSync } from "node:child_process";
import { Command } from "commander";
import { Heartbeat } from "../../provider/runtime/store/heartbeat";
import { etcdEndpoints } from "./lib/config";
import { memberPid } from "./lib/etcd";
import { etcdLeader } from "./lib/nemesis";
import { requireState } from "./lib/state";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const o = new Command()
    .option("--stall-ms <ms>", "how long the leader is stopped", "2500")
    .option("--rounds <n>", "how many stalls", "10")
    .option("--interval-ms <ms>", "renewal interval of the probe heartbeat (the agent's: 250)", "250")
    .option("--hedge-ms <ms>", "hedgeAfterMs of the probe heartbeat (the agent's: 250)", "250")
    .parse()
    .opts<{ stallMs: string; rounds: string; intervalMs: string; hedgeMs: string }>();
  const stallMs = Number(o.stallMs);
  const rounds = Number(o.rounds);
  const s = requireState();
  if (s.etcd.length < 3) throw new Error("the lab has one etcd member: `npm run lab -- up --etcd 3` first");
  const now = () => performance.now();
  const hb = new Heartbeat({
    endpoints: etcdEndpoints(s.etcd),
    host: "stall-probe",
    presenceKey: "/vmha-stall-probe/leases/probe",
    presenceValue: () => "{}",
    intervalMs: Number(o.intervalMs),
    hedgeAfterMs: Number(o.hedgeMs),
    now,
    log: (level, m) => {
      if (level !== "info") process.stdout.write(`  ${level}: ${m}\n`);
    },
  });
  let revoked = 0;
  let worst = 0;
  try {
    await hb.join(1000);
    hb.start();
    for (let i = 1; i <= rounds; i++) {
      await sleep(3000);
      const leader = (await etcdLeader(s.etcd)) ?? s.etcd[0]!;
      const pid = memberPid(leader);
      if (pid === undefined) throw new Error(`etcd ${leader} is not running`);
      let stale = 0;
      const sampler = setInterval(() => {
        const st = hb.status();
        if (st.lostAt === undefined) stale = Math.max(stale, now() - st.lastAckSentAt);
      }, 20);
      process.kill(pid, "SIGSTOP");
      await sleep(stallMs);
      process.kill(pid, "SIGCONT");
      await sleep(3000);
      clearInterval(sampler);
      worst = Math.max(worst, stale);
      const st = hb.status();
      let line = `round ${i}: ${leader} stopped ${stallMs} ms; longest staleness ${stale.toFixed(0)} ms; lease ${st.lostAt === undefined ? "alive" : "REVOKED"}`;
      if (st.lostAt !== undefined) {
        revoked++;
        const hex = BigInt(st.id).toString(16);
        const said = s.etcd.map((e) => {
          const r = spawnSync(
            "etcdctl",
            ["--endpoints", etcdEndpoints([e])[0]!, "lease", "timetolive", hex],
            {
              encoding: "utf8",
            },
          );
          return `${e}: ${(r.stdout + r.stderr).trim()}`;
        });
        line += ` (${said.join("; ")})`;
        await hb.join(1000);
      }
      process.stdout.write(`${line}\n`);
    }
  } finally {
    hb.close();
  }
  process.stdout.write(
    `${JSON.stringify({ rounds, stall_ms: stallMs, leases_revoked: revoked, max_staleness_ms: Math.round(worst) })}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`etcd-stall-probe: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
