#!/usr/bin/env node
// npm run lab:leader-kills -- --minutes 5 --every-s 10 [--down-s 3]
// Kills the etcd raft leader every N s (restarted ~3 s later) on a 3-host lab with a 3-member
// etcd and 6 VMs, with the independent observer running. No host is a fault target, so every
// VM stop and every host power-off is a false isolation. Last line, JSON:
// {"minutes","leader_kills","vms_stopped","hosts_fenced","double_runs"}. Exit 1 if any is > 0.
import * as fs from "node:fs";
import * as path from "node:path";
import { Command } from "commander";
import { startMember, stopMember } from "./lib/etcd";
import { etcdLeader, Nemesis } from "./lib/nemesis";
import { readPowerEvents } from "./lib/power-log";
import { isMigration } from "./lib/verdict";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const o = new Command()
    .option("--minutes <n>", "how long", "5")
    .option("--every-s <s>", "kill the leader every this many seconds", "10")
    .option("--down-s <s>", "restart the killed member after this many seconds", "3")
    .option("--keep", "leave the lab up at the end")
    .parse()
    .opts<{ minutes: string; everyS: string; downS: string; keep?: boolean }>();
  const n = new Nemesis({ minutes: Number(o.minutes), seed: 0, ...(o.keep ? { keep: true } : {}) });
  const log = (l: string) => process.stdout.write(`${l}\n`);
  let kills = 0;
  let summary:
    | {
        minutes: number;
        leader_kills: number;
        vms_stopped: number;
        hosts_fenced: number;
        double_runs: number;
      }
    | undefined;
  try {
    await n.up();
    fs.mkdirSync(n.outDir, { recursive: true });
    const t0 = Date.now();
    const until = t0 + Number(o.minutes) * 60000;
    const every = Number(o.everyS) * 1000;
    while (Date.now() < until) {
      const tick = Date.now();
      const leader = await etcdLeader(n.state.etcd);
      if (leader) {
        stopMember(leader);
        kills++;
        const stopsBefore = n.obs.transitions.filter((t) => t.kind === "stop" && t.at >= t0).length;
        await sleep(Number(o.downS) * 1000);
        startMember(leader, n.state.etcd);
        log(
          `kill ${String(kills).padStart(3)}: leader ${leader} killed, restarted after ${Date.now() - tick} ms; VM stops so far ${stopsBefore}, double runs so far ${n.obs.doubleRuns.length}`,
        );
      } else log("no leader found (election in progress?)");
      await sleep(Math.max(0, every - (Date.now() - tick)));
    }
    await sleep(3000);
    const stops = n.obs.transitions.filter(
      (t) => t.kind === "stop" && t.at >= t0 && !isMigration(t, n.obs.transitions),
    );
    const fenced = readPowerEvents(t0).filter((e) => e.action === "off");
    for (const s of stops) log(`VM STOPPED: ${s.vm} on ${s.host} at ${new Date(s.at).toISOString()}`);
    for (const f of fenced) log(`HOST POWERED OFF: ${f.host} by ${f.by} at ${new Date(f.at).toISOString()}`);
    for (const d of n.obs.doubleRuns)
      log(`DOUBLE RUN: ${d.vm} on ${d.hosts.join("+")} at ${new Date(d.start).toISOString()}`);
    summary = {
      minutes: Number(o.minutes),
      leader_kills: kills,
      vms_stopped: stops.length,
      hosts_fenced: fenced.length,
      double_runs: n.obs.doubleRuns.filter((d) => d.start >= t0).length,
    };
    fs.writeFileSync(path.join(n.outDir, "leader-kills.json"), `${JSON.stringify(summary)}\n`);
    if (summary.vms_stopped + summary.hosts_fenced + summary.double_runs > 0) {
      n.keepLogs();
      log(`# logs kept in ${n.outDir}`);
    }
    process.exitCode = summary.vms_stopped + summary.hosts_fenced + summary.double_runs === 0 ? 0 : 1;
  } catch (err) {
    n.keepLogs();
    throw err;
  } finally {
    n.shutdown();
    if (summary) log(JSON.stringify(summary));
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`leader-kills: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
