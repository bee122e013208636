#!/usr/bin/env node
// npm run torture -- --minutes N --seed S [--kinds a,b] [--watchdog all|nofence|none] [--keep]
// The lab nemesis (lib/nemesis.ts): prints the seed, one line per fault (kind, target,
// parameters, recovery time, the double runs / false isolations / unrecovered VMs it caused)
// and, last, one JSON line. Exit code 0 when all three counts are 0, else 1.
import { Command } from "commander";
import { FAULT_KINDS, type FaultKind, torture } from "./lib/nemesis";

async function main(): Promise<void> {
  const o = new Command()
    .option("--minutes <n>", "inject faults for this long", "5")
    .option("--seed <s>", "PRNG seed (default: the time)")
    .option("--vms <n>", "VMs in the cluster (>= 6)", "6")
    .option("--kinds <list>", `fault kinds to pick from (default all: ${FAULT_KINDS.join(",")})`)
    .option("--watchdog <which>", "lab watchdog on all hosts, only the no-fence host, or none", "all")
    .option("--watchdog-timeout <ms>", "lab watchdog timeout", "2000")
    .option("--recovery-timeout <ms>", "longest wait for every VM to run again after a fault", "30000")
    .option("--out <dir>", "output folder (default .run/torture/<time>-seed<S>)")
    .option("--keep", "leave the lab up at the end")
    .parse()
    .opts<{
      minutes: string;
      seed?: string;
      vms: string;
      kinds?: string;
      watchdog: string;
      watchdogTimeout: string;
      recoveryTimeout: string;
      out?: string;
      keep?: boolean;
    }>();
  const seed = o.seed !== undefined ? Number(o.seed) : Date.now() % 1000000;
  const kinds = o.kinds?.split(",").filter(Boolean) as FaultKind[] | undefined;
  for (const k of kinds ?? []) if (!FAULT_KINDS.includes(k)) throw new Error(`unknown fault kind ${k}`);
  const s = await torture({
    minutes: Number(o.minutes),
    seed,
    vms: Math.max(6, Number(o.vms)),
    watchdog: o.watchdog as "all",
    watchdogTimeoutMs: Number(o.watchdogTimeout),
    recoveryTimeoutMs: Number(o.recoveryTimeout),
    ...(kinds ? { kinds } : {}),
    ...(o.out ? { outDir: o.out } : {}),
    ...(o.keep ? { keep: true } : {}),
  });
  process.exitCode = s.double_runs + s.false_isolations + s.unrecovered === 0 ? 0 : 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`torture: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
