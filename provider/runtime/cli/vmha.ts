#!/usr/bin/env node
// vmha: the operator's command for a KVM HA cluster. It talks to etcd (not to one agent), so it
// works while any host is down.
//   vmha status [--json] | events [--follow] [-n N] | spec get | spec apply <file>
//   vmha maintenance <host> on|off | migrate <resource> <host>
import * as fs from "node:fs";
import { Command } from "commander";
import { tryParseSpec } from "../core/spec";
import { EtcdStore } from "../store/etcd-store";
import { eventsPrefix, K } from "../store/keys";
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

async function lastEvents(s: EtcdStore, n: number): Promise<StatusEvent[]> {
  const res = await s.client
    .getAll()
    .prefix(eventsPrefix(s.opts.cluster))
    .sort("Key", "Descend")
    .limit(n)
    .strings();
  return Object.keys(res)
    .sort()
    .map((k) => JSON.parse(res[k]!) as StatusEvent);
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
      await s.ns.put(K.migrateRequest(id)).value(JSON.stringify({ id, resource, target: host }));
      process.stdout.write(`migration of ${resource} to ${host} requested (${id})\n`);
    }),
  );

program.parseAsync().catch((err: unknown) => {
  process.stderr.write(`vmha: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
