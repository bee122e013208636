#!/usr/bin/env node
// vmha: the operator's command for a KVM HA cluster. It talks to etcd (not to one agent), so it
// works while any host is down.
//   vmha status [--json] | events [--follow] [-n N] | spec get | spec apply <file>
//   vmha maintenance <host> on|off | migrate <resource> <host>
//   vmha drill --host <h> [--limit s] [--junit file] [--metrics-file file]
//   vmha dashboard [--listen 127.0.0.1:8080] [--allow-remote] [-n N]
import * as fs from "node:fs";
import * as os from "node:os";
import { Command } from "commander";
import { tryParseSpec } from "../core/spec";
import { isLoopback as isLoopbackHost, parseListen, startDashboard } from "../dashboard/server";
import { etcdSource } from "../dashboard/source";
import { drillJUnit } from "../drill/junit";
import { type DrillReport, drillMetricsText } from "../drill/report";
import { DrillError, type DrillResult, runDrill } from "../drill/run";
import { drillPassed, formatTimeline } from "../drill/timeline";
import { deliveryBoundMs, drillHookEvent, drillHooks } from "../hooks/drill";
import { EtcdStore } from "../store/etcd-store";
import { eventsPrefix, K } from "../store/keys";
import { lastEvents } from "./last-events";
import { clusterStatus, formatEvent, formatStatus, type StatusEvent } from "./status";

const program = new Command()
  .name("vmha")
  .description("vmha KVM HA cluster: status, events, spec, maintenance")
  .option(
    "--etcd <urls>",
    "etcd client URLs, comma-separated",
    process.env["VMHA_ETCD"] ?? "http://127.0.0.1:2379",
  )
  .option("--cluster <name>", "cluster name", process.env["VMHA_CLUSTER"] ?? "default")
  .option("--etcd-ca <file>", "CA bundle for etcd TLS", process.env["VMHA_ETCD_CA"])
  .option("--etcd-cert <file>", "client certificate", process.env["VMHA_ETCD_CERT"])
  .option("--etcd-key <file>", "client key", process.env["VMHA_ETCD_KEY"])
  .option(
    "--etcd-user <name>",
    "etcd user (password from VMHA_ETCD_PASSWORD)",
    process.env["VMHA_ETCD_USER"],
  );

function store(): EtcdStore {
  const o = program.opts<Record<string, string | undefined>>();
  const password = process.env["VMHA_ETCD_PASSWORD"];
  return new EtcdStore({
    host: "vmha-cli",
    cluster: o["cluster"]!,
    endpoints: o["etcd"]!.split(",").filter(Boolean),
    leaseTtlS: 1,
    callTimeoutMs: 3000,
    ...(o["etcdCa"]
      ? {
          tls: {
            caFile: o["etcdCa"],
            ...(o["etcdCert"] ? { certFile: o["etcdCert"], keyFile: o["etcdKey"] } : {}),
          },
        }
      : {}),
    ...(o["etcdUser"] && password ? { auth: { username: o["etcdUser"], password } } : {}),
  });
}

async function withStore<T>(fn: (s: EtcdStore) => Promise<T>): Promise<T> {
  const s = store();
  try {
    return await fn(s);
  } finally {
    s.client.close();
  }
}

program
  .command("status")
  .description("hosts, primary, resources and where they run, failures, recent events")
  .option("--json", "print JSON")
  .option("-n, --events <n>", "recent events to show", "8")
  .action((o: { json?: boolean; events: string }) =>
    withStore(async (s) => {
      const st = clusterStatus(s.opts.cluster, await s.read(), await lastEvents(s, Number(o.events)));
      process.stdout.write(o.json ? `${JSON.stringify(st, null, 2)}\n` : formatStatus(st));
    }),
  );

program
  .command("events")
  .description("the cluster's event log (status changes, fencing, recoveries)")
  .option("-f, --follow", "keep printing new events")
  .option("-n, --lines <n>", "how many past events", "50")
  .option("--json", "one JSON object per line")
  .action((o: { follow?: boolean; lines: string; json?: boolean }) =>
    withStore(async (s) => {
      const print = (e: StatusEvent) =>
        process.stdout.write(o.json ? `${JSON.stringify(e)}\n` : `${formatEvent(e)}\n`);
      for (const e of await lastEvents(s, Number(o.lines))) print(e);
      if (!o.follow) return;
      const w = await s.client.watch().prefix(eventsPrefix(s.opts.cluster)).create();
      w.on("put", (kv) => print(JSON.parse(kv.value.toString()) as StatusEvent));
      await new Promise<void>((resolve) => {
        process.on("SIGINT", resolve);
        process.on("SIGTERM", resolve);
      });
      await w.cancel();
    }),
  );

const spec = program.command("spec").description("the cluster spec (normally written by Pulumi)");
spec
  .command("get")
  .description("print the spec")
  .action(() =>
    withStore(async (s) => {
      const v = await s.read();
      process.stdout.write(`${JSON.stringify(v.spec ?? null, null, 2)}\n`);
    }),
  );
spec
  .command("apply <file>")
  .description("check and write a spec JSON file")
  .action((file: string) =>
    withStore(async (s) => {
      const input: unknown = JSON.parse(fs.readFileSync(file, "utf8"));
      const r = tryParseSpec(input);
      if (!r.ok)
        throw new Error(
          `spec ${file} refused: ${r.issues.map((i) => `${i.property}: ${i.reason}`).join("; ")}`,
        );
      for (const w of r.warnings) process.stderr.write(`warning: ${w.property}: ${w.reason}\n`);
      await s.ns.put(K.spec).value(JSON.stringify(input));
      process.stdout.write(`spec of cluster ${s.opts.cluster} written\n`);
    }),
  );

program
  .command("maintenance <host> <onoff>")
  .description("drain a host (on) or give it back (off)")
  .action((host: string, onoff: string) =>
    withStore(async (s) => {
      if (onoff === "on") await s.ns.put(K.maintenance(host)).value(new Date().toISOString());
      else await s.ns.delete().key(K.maintenance(host));
      process.stdout.write(`maintenance of ${host}: ${onoff}\n`);
    }),
  );

program
  .command("migrate <resource> <host>")
  .description("ask the primary to move a resource (live where allowed)")
  .action((resource: string, host: string) =>
    withStore(async (s) => {
      const id = `${Date.now()}-${resource}`;
      // The request lives for ten minutes: the primary remembers the handled requests that still
      // exist, so a key left behind forever would be remembered forever.
      const lease = s.ns.lease(600, { autoKeepAlive: false });
      await lease.put(K.migrateRequest(id)).value(JSON.stringify({ id, resource, target: host }));
      lease.release();
      process.stdout.write(`migration of ${resource} to ${host} requested (${id})\n`);
    }),
  );

program
  .command("dashboard")
  .description(
    "serve a live, read-only status page (hosts, resources, headroom, failover timeline); " +
      "loopback only unless --allow-remote",
  )
  .option("--listen <addr>", "host:port to serve on", "127.0.0.1:8080")
  .option("--allow-remote", "allow a non-loopback --listen (the page has no authentication)")
  .option("-n, --events <n>", "timeline length", "50")
  .action(async (o: { listen: string; allowRemote?: boolean; events: string }) => {
    // refused before anything connects to etcd
    const { host, port } = parseListen(o.listen, o.allowRemote === true);
    const n = Number(o.events);
    if (!(Number.isInteger(n) && n > 0))
      throw new Error(`--events must be a positive integer, got "${o.events}"`);
    const s = store();
    const d = await startDashboard({
      source: etcdSource(s),
      cluster: s.opts.cluster,
      host,
      port,
      allowRemote: o.allowRemote === true,
      events: n,
      log: (m) => process.stderr.write(`${m}\n`),
    });
    process.stdout.write(`vmha dashboard of cluster ${s.opts.cluster}: ${d.url}\n`);
    if (o.allowRemote && !isLoopbackHost(host))
      process.stderr.write(
        "warning: the dashboard is reachable from other machines and has no authentication\n",
      );
    await new Promise<void>((resolve) => {
      process.once("SIGINT", resolve);
      process.once("SIGTERM", resolve);
    });
    await d.close();
    s.client.close();
  });

program
  .command("drill")
  .description(
    "failover drill: power a host off through its own fence device, measure how fast its resources run " +
      "elsewhere, then power it back on; exits 1 if any resource did not recover within --limit",
  )
  .requiredOption("--host <host>", "host to power off")
  .option("--limit <seconds>", "each resource must run elsewhere within this many seconds", "30")
  .option("--no-restore", "leave the host powered off afterwards")
  .option("--fence-secrets <file>", "JSON with the fence device's secret params (default: the store)")
  .option("--json <file>", "also write the measured timeline as JSON")
  .option("--junit <file>", "also write a JUnit XML report (one test case per step and per resource)")
  .option(
    "--metrics-file <file>",
    "also write Prometheus metrics of the drill (for node_exporter's textfile collector or a Pushgateway)",
  )
  .option("--hook-exec <path>", "run this executable with the drill's result (JSON event on stdin, no shell)")
  .option("--hook-url <url>", "POST the drill's result (JSON event) here")
  .option("--hook-token-file <file>", "bearer token for --hook-url (mode 0600)")
  .action((o: DrillCliOptions) =>
    withStore(async (s) => {
      // checked before anything is powered off: a bad hook setting must not cost a drill
      const hooks = drillHooks(
        {
          ...(o.hookExec ? { exec: o.hookExec } : {}),
          ...(o.hookUrl ? { url: o.hookUrl } : {}),
          ...(o.hookTokenFile ? { tokenFile: o.hookTokenFile } : {}),
        },
        (_level, m) => process.stderr.write(`${m}\n`),
      );
      const limitMs = Number(o.limit) * 1000;
      if (!(limitMs > 0)) throw new Error(`--limit must be a number of seconds, got "${o.limit}"`);
      const startedAt = new Date();
      const t0 = performance.now();
      const lines: string[] = [];
      const say = (line: string) => {
        lines.push(line);
        process.stdout.write(`${line}\n`);
      };
      let r: DrillResult;
      try {
        r = await runDrill(s, {
          host: o.host,
          limitMs,
          restore: o.restore,
          ...(o.fenceSecrets ? { secretsFile: o.fenceSecrets } : {}),
          progress: (l) => {
            lines.push(l);
            process.stderr.write(`${l}\n`);
          },
        });
      } catch (err) {
        // the reports say the drill failed, and how far it got; the error still ends the command
        const message = err instanceof Error ? err.message : String(err);
        const error = { step: err instanceof DrillError ? err.step : ("prepare" as const), message };
        const partial = err instanceof DrillError ? err.partial : undefined;
        await writeDrillReports(
          o,
          {
            ...reportBase(s.opts.cluster, o.host, limitMs, startedAt, t0, [
              ...lines,
              `drill error: ${message}`,
            ]),
            ...(partial ? { result: partial } : {}),
            error,
          },
          hooks,
        );
        throw err;
      }
      for (const line of formatTimeline(r.timeline, limitMs)) say(line);
      if (r.rejoinedMs !== undefined)
        say(`  ${o.host} powered back on, online again after ${(r.rejoinedMs / 1000).toFixed(2)} s`);
      if (o.json) fs.writeFileSync(o.json, `${JSON.stringify({ ...r, limitMs }, null, 2)}\n`);
      const ok = drillPassed(r.timeline, limitMs);
      say(ok ? "drill passed" : "drill FAILED");
      await writeDrillReports(
        o,
        { ...reportBase(s.opts.cluster, o.host, limitMs, startedAt, t0, lines), result: r },
        hooks,
      );
      if (!ok) process.exitCode = 1;
    }),
  );

interface DrillCliOptions {
  host: string;
  limit: string;
  restore: boolean;
  fenceSecrets?: string;
  json?: string;
  junit?: string;
  metricsFile?: string;
  hookExec?: string;
  hookUrl?: string;
  hookTokenFile?: string;
}

function reportBase(
  cluster: string,
  host: string,
  limitMs: number,
  startedAt: Date,
  t0: number,
  lines: string[],
): DrillReport {
  return {
    cluster,
    host,
    limitMs,
    startedAt,
    durationMs: performance.now() - t0,
    hostname: os.hostname(),
    lines,
  };
}

/** Writes a file whole or not at all: a collector or CI step never reads half of it. */
function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

async function writeDrillReports(
  o: DrillCliOptions,
  report: DrillReport,
  hooks?: ReturnType<typeof drillHooks>,
): Promise<void> {
  if (o.junit) writeAtomic(o.junit, drillJUnit(report));
  if (o.metricsFile) {
    writeAtomic(o.metricsFile, await drillMetricsText(report));
  }
  if (hooks) {
    hooks.hooks.emit(drillHookEvent(report));
    // a hook that failed every attempt was said on stderr; it does not change the drill's verdict
    await hooks.hooks.drain(deliveryBoundMs(hooks.cfg));
    hooks.hooks.close();
  }
}

program.parseAsync().catch((err: unknown) => {
  process.stderr.write(`vmha: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
