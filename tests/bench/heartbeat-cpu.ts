// The heartbeat's own CPU cost: a Heartbeat renewing one lease every intervalMs on a real
// 3-member etcd on loopback (tests/support/fake-etcd-cluster.ts picks free ports), with nothing
// else in this process. etcd runs in child processes, so process.cpuUsage() is the heartbeat's
// (plus Node's own idle cost). Run after a build:
//   node_modules/.bin/node dist/tests/bench/heartbeat-cpu.js
// Env: VMHA_BENCH_INTERVAL_MS (default 125), VMHA_BENCH_SECONDS (default 30).
// Prints one line per 5 s and ends with {"interval_ms":…,"cpu_pct":…,…}.
import { Heartbeat } from "../../provider/runtime/store/heartbeat";
import { startEtcdCluster } from "../support/fake-etcd-cluster";

const INTERVAL_MS = Number(process.env.VMHA_BENCH_INTERVAL_MS ?? 125);
const SECONDS = Number(process.env.VMHA_BENCH_SECONDS ?? 30);
const WARMUP_MS = 3000;

const now = () => performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const cluster = await startEtcdCluster(3);
  const logs: string[] = [];
  const h = new Heartbeat({
    endpoints: cluster.endpoints,
    host: "bench",
    presenceKey: "/vmha/bench/leases/bench",
    presenceValue: (lease) => JSON.stringify({ lease }),
    intervalMs: INTERVAL_MS,
    now,
    callTimeoutMs: 1000,
    log: (level, message) => {
      if (level !== "debug") logs.push(`${level} ${message}`);
    },
  });
  try {
    await h.join(5000);
    h.start();
    await sleep(WARMUP_MS);
    const cpu0 = process.cpuUsage();
    const t0 = now();
    let maxStaleMs = 0;
    let last = { cpu: cpu0, t: t0 };
    for (let s = 1; s <= SECONDS; s++) {
      await sleep(t0 + s * 1000 - now());
      maxStaleMs = Math.max(maxStaleMs, now() - h.status().lastAckSentAt);
      if (s % 5 === 0 || s === SECONDS) {
        const cpu = process.cpuUsage();
        const t = now();
        const pct = pctOf(process.cpuUsage(last.cpu), t - last.t);
        console.log(
          `# ${s} s: ${pct.toFixed(2)} % of one CPU over the last ${((t - last.t) / 1000).toFixed(0)} s`,
        );
        last = { cpu, t };
      }
    }
    const used = process.cpuUsage(cpu0);
    const wallMs = now() - t0;
    const s = h.status();
    if (s.lostAt !== undefined) throw new Error(`lease lost during the bench:\n${logs.join("\n")}`);
    console.log(
      JSON.stringify({
        interval_ms: INTERVAL_MS,
        seconds: Math.round(wallMs / 1000),
        cpu_pct: Number(pctOf(used, wallMs).toFixed(3)),
        user_pct: Number(((used.user / 1000 / wallMs) * 100).toFixed(3)),
        system_pct: Number(((used.system / 1000 / wallMs) * 100).toFixed(3)),
        max_stale_ms: Math.round(maxStaleMs),
        warnings: logs.filter((l) => !l.startsWith("info")).length,
      }),
    );
  } finally {
    h.close();
    await cluster.stop();
  }
}

function pctOf(u: NodeJS.CpuUsage, wallMs: number): number {
  return ((u.user + u.system) / 1000 / wallMs) * 100;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
