#!/usr/bin/env node
// npm run bench:failover -- --trials N [--vms M] [--hosts H] [--keep]
// Powers off (lab kill: link down, then every process) the host running the most VMs, N times,
// and measures for each trial: detection (power off -> primary marks the host suspect), fence
// (-> fence device confirmed off), restart (-> the last of that host's VMs running elsewhere,
// seen in the other hosts' libvirt) and the total. Watches every host's libvirt throughout and
// counts moments when one VM ran on two hosts. Also measures each agent's idle CPU and RSS.
// The last line is one JSON object.
import { Command } from "commander";
import { powerOff } from "./lib/host";
import * as lab from "./lib/lab";
import { LabObserver } from "./lib/observer";
import { sampleIdle } from "./lib/procstat";
import { vmName } from "./lib/spec";
import { events, firstEvent, labStore, settled, waitFor } from "./lib/wait";

interface Trial {
  victim: string;
  leaseMs: number;
  vms: string[];
  detectMs: number;
  fenceMs: number;
  restartMs: number;
  totalMs: number;
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? Number.NaN;
}

async function main(): Promise<void> {
  const o = new Command()
    .option("--trials <n>", "power-offs", "20")
    .option("--vms <m>", "VMs in the cluster", "3")
    .option("--hosts <h>", "lab hosts", "3")
    .option("--idle-ms <ms>", "idle window for agent CPU/RSS", "10000")
    .option("--keep", "leave the lab up at the end")
    .parse()
    .opts<{ trials: string; vms: string; hosts: string; idleMs: string; keep?: boolean }>();
  const trials = Number(o.trials);
  const vms = Array.from({ length: Number(o.vms) }, (_, i) => vmName(i + 1));
  const log = (s: string) => process.stdout.write(`${s}\n`);
  const { state, timings } = await lab.up({ hosts: Number(o.hosts), vms: vms.length, log });
  log(`lab up in ${timings.totalMs} ms${state.kvm ? "" : " (TCG: /dev/kvm unusable)"}`);
  const store = labStore(state);
  const obs = new LabObserver();
  const results: Trial[] = [];
  const leaseGone = new Map<string, number>();
  const watchers = await store.watch(["leases/"], (ev) => {
    if (ev.type === "delete") leaseGone.set(ev.key.slice("leases/".length), Date.now());
  });
  try {
    await waitFor("every VM started once", 60000, async () => settled(await store.read(), state.hosts, vms));
    for (const h of state.hosts) await obs.hostOn(h);
    const idle = await sampleIdle(
      state.hosts.map((h) => lab.agentPid(h)!),
      Number(o.idleMs),
    );
    const cpu = Math.max(...idle.map((i) => i.cpuPct));
    const rss = Math.max(...idle.map((i) => i.rssMb));
    log(
      `agents idle over ${Number(o.idleMs) / 1000} s: ${idle.map((i, k) => `${state.hosts[k]} ${i.cpuPct.toFixed(2)}% CPU ${i.rssMb.toFixed(1)} MB`).join(", ")}`,
    );
    let rr = 0;
    for (let t = 1; t <= trials; t++) {
      await waitFor(`trial ${t}: cluster settled`, 60000, async () =>
        settled(await store.read(), state.hosts, vms),
      );
      await obs.refreshAll();
      const counts = state.hosts.map((h) => obs.running(h).length);
      const most = Math.max(...counts);
      const candidates = state.hosts.filter((_, i) => counts[i] === most);
      const victim = candidates[rr++ % candidates.length]!;
      const moved = obs.running(victim);
      leaseGone.delete(victim);
      const t0 = Date.now();
      powerOff(victim);
      obs.hostOff(victim);
      const done = await waitFor(
        `trial ${t}: ${moved.join(",")} running elsewhere`,
        30000,
        () => {
          const at = moved.map((v) => obs.firstRunningAt(v, victim, t0));
          return at.every((x) => x !== undefined) ? Math.max(...(at as number[])) : undefined;
        },
        10,
      );
      const evs = await waitFor("events of the failover", 5000, async () => {
        const e = await events(store, t0 - 1000);
        return firstEvent(e, `host ${victim}`, /=> fenced/) ? e : undefined;
      });
      const suspect = firstEvent(evs, `host ${victim}`, /=> suspect/);
      const fenced = firstEvent(evs, `host ${victim}`, /=> fenced/);
      const tr: Trial = {
        victim,
        leaseMs: (leaseGone.get(victim) ?? Number.NaN) - t0,
        vms: moved,
        detectMs: suspect ? Date.parse(suspect.at) - t0 : Number.NaN,
        fenceMs: fenced && suspect ? Date.parse(fenced.at) - Date.parse(suspect.at) : Number.NaN,
        restartMs: fenced ? done - Date.parse(fenced.at) : Number.NaN,
        totalMs: done - t0,
      };
      results.push(tr);
      log(
        `trial ${String(t).padStart(2)}: ${victim} off (${moved.join(",") || "no VMs"}): lease gone ${tr.leaseMs} ms, detect ${tr.detectMs} ms, fence ${tr.fenceMs} ms, restart ${tr.restartMs} ms, total ${tr.totalMs} ms; double runs so far ${obs.doubleRuns.length}`,
      );
      await lab.powerOnHost(victim);
      await obs.hostOn(victim);
    }
    const totals = results.map((r) => r.totalMs);
    for (const d of obs.doubleRuns)
      log(`DOUBLE RUN: ${d.vm} on ${d.hosts.join(" and ")} at ${new Date(d.at).toISOString()}`);
    const summary = {
      trials: results.length,
      p50_ms: pct(totals, 50),
      p99_ms: pct(totals, 99),
      lease_expiry_p50_ms: pct(
        results.map((r) => r.leaseMs),
        50,
      ),
      detect_p50_ms: pct(
        results.map((r) => r.detectMs),
        50,
      ),
      fence_p50_ms: pct(
        results.map((r) => r.fenceMs),
        50,
      ),
      restart_p50_ms: pct(
        results.map((r) => r.restartMs),
        50,
      ),
      double_runs: obs.doubleRuns.length,
      agent_cpu_pct: Number(cpu.toFixed(2)),
      agent_rss_mb: Number(rss.toFixed(1)),
      vms: vms.length,
      kvm: state.kvm,
    };
    log(
      `p50 ${summary.p50_ms} ms, p99 ${summary.p99_ms} ms (detect p50 ${summary.detect_p50_ms}, fence p50 ${summary.fence_p50_ms}, restart p50 ${summary.restart_p50_ms})`,
    );
    log(JSON.stringify(summary));
  } finally {
    obs.stop();
    await Promise.all(watchers.map((w) => w.cancel()));
    store.client.close();
    if (!o.keep) lab.down();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(
    `bench-failover: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  lab.down();
  process.exit(1);
});
