#!/usr/bin/env node
// npm run lab -- up|down|status|kill <h>|on <h>|partition <h>|heal <h>|fence-fail <h> on|off|agent-restart <h>
//   |watchdog <h> status|watchdog <h> timeout <ms>|libvirtd-kill <h>|libvirtd-start <h>
import { Command } from "commander";
import { startAgent, stopAgent } from "./lib/agents";
import { etcdEndpoints, hostIp, libvirtUri, METRICS_PORT } from "./lib/config";
import { killLibvirtd, startLibvirtd } from "./lib/host";
import * as lab from "./lib/lab";
import { requireState } from "./lib/state";
import { DEFAULT_WATCHDOG_TIMEOUT_MS, setWatchdogTimeout, watchdogStatus } from "./lib/watchdog-client";

const program = new Command()
  .name("lab")
  .description("vmha lab: KVM hosts as network namespaces on one machine");

program
  .command("up")
  .description("bring the lab up (tears down any previous one first)")
  .option("--hosts <n>", "number of hosts", "3")
  .option("--etcd <n>", "etcd members (1 or 3)", "1")
  .option("--vms <n>", "write a cluster spec with this many tiny VMs", "3")
  .option("--no-agents", "do not start vmha-agent on the hosts")
  .option("--no-spec", "write no cluster spec (Pulumi writes it, as in the quickstart)")
  .option("--watchdog", "a lab watchdog per host: every agent gets --watchdog <fifo>")
  .option(
    "--watchdog-timeout <ms>",
    `lab watchdog timeout: one number for all hosts, or h1=1500,h2=3000 (default ${DEFAULT_WATCHDOG_TIMEOUT_MS})`,
  )
  .option("--watchdog-hosts <list>", "only these hosts get a lab watchdog (comma-separated)")
  .action(
    async (o: {
      hosts: string;
      etcd: string;
      vms: string;
      agents: boolean;
      spec: boolean;
      watchdog?: boolean;
      watchdogTimeout?: string;
      watchdogHosts?: string;
    }) => {
      const wd = o.watchdog || o.watchdogTimeout !== undefined || o.watchdogHosts !== undefined;
      const t = o.watchdogTimeout;
      const timeoutMs =
        t === undefined
          ? undefined
          : /^\d+$/.test(t)
            ? Number(t)
            : Object.fromEntries(t.split(",").map((kv) => [kv.split("=")[0]!, Number(kv.split("=")[1])]));
      const { state, timings } = await lab.up({
        hosts: Number(o.hosts),
        etcd: Number(o.etcd),
        ...(o.spec ? { vms: Number(o.vms) } : {}),
        agents: o.agents,
        ...(wd
          ? {
              watchdog: {
                ...(o.watchdogHosts ? { hosts: o.watchdogHosts.split(",").filter(Boolean) } : {}),
                ...(timeoutMs !== undefined ? { timeoutMs } : {}),
              },
            }
          : {}),
        log: (l) => console.log(l),
      });
      console.log(
        `lab up in ${timings.totalMs} ms: hosts ${state.hosts.join(",")}, etcd ${etcdEndpoints(state.etcd).join(",")}`,
      );
      console.log(
        `  vmha status:   node dist/provider/runtime/cli/vmha.js --etcd ${etcdEndpoints(state.etcd).join(",")} --cluster ${state.cluster} status`,
      );
      console.log(`  virsh:         virsh -c '${libvirtUri(state.hosts[0]!)}' list`);
      console.log(`  metrics:       curl http://${hostIp(state.hosts[0]!)}:${METRICS_PORT}/metrics`);
      console.log("  tear down:     npm run lab -- down");
    },
  );

program
  .command("down")
  .description("stop everything of the lab (idempotent, cleans up after a crashed run)")
  .action(() => {
    lab.down();
    console.log("lab down");
  });

program
  .command("status")
  .description("power, agent and domains of every host")
  .action(() => {
    const s = requireState();
    const st = lab.status(s);
    for (const h of st.hosts) {
      console.log(
        `${h.host}  power ${h.power.padEnd(3)}  agent ${h.agentPid ?? "-"}  domains ${h.domains.join(",") || "-"}${h.cutOff.length ? `  cut off from ${h.cutOff.join(",")}` : ""}`,
      );
    }
    console.log(`namespaces: ${st.namespaces.join(" ")}`);
  });

program
  .command("kill <host>")
  .description("power the host off like a power loss: link down, then every process killed")
  .action((h: string) => {
    lab.kill(h);
    console.log(`${h} powered off`);
  });

program
  .command("on <host>")
  .description("power the host on (libvirtd and its agent start)")
  .action(async (h: string) => {
    await lab.powerOnHost(h);
    console.log(`${h} powered on`);
  });

program
  .command("partition <host>")
  .description("cut the host off from etcd only (packets silently dropped)")
  .action((h: string) => {
    lab.partition(h, requireState());
    console.log(`${h} cut off from etcd`);
  });

program
  .command("heal <host>")
  .description("undo partition")
  .action((h: string) => {
    lab.heal(h, requireState());
    console.log(`${h} reconnected to etcd`);
  });

program
  .command("fence-fail <host> <onoff>")
  .description("make the host's fence device fail (on) or work again (off)")
  .action(async (h: string, onoff: string) => {
    await lab.setFenceFailing(h, onoff === "on");
    console.log(`fence device of ${h}: ${onoff === "on" ? "failing" : "working"}`);
  });

program
  .command("agent-restart <host>")
  .description("restart the host's vmha-agent (SIGTERM, then start)")
  .action((h: string) => {
    const s = requireState();
    stopAgent(h, "SIGTERM");
    console.log(`${h}: agent restarted, pid ${startAgent(h, s)}`);
  });

program
  .command("watchdog <host> <action> [ms]")
  .description("the host's lab watchdog: `status` (armed, time since the last pet, fires) or `timeout <ms>`")
  .action(async (h: string, action: string, ms?: string) => {
    requireState();
    if (action === "status") {
      const st = await watchdogStatus(h);
      console.log(
        `${h}  watchdog ${st.armed ? "ARMED" : "disarmed"}  timeout ${st.timeoutMs} ms  writer ${st.writer ? "open" : "none"}  last pet ${st.sinceLastPetMs === null ? "never" : `${st.sinceLastPetMs} ms ago`}  pets ${st.pets}  fired ${st.fires}${st.lastFireAt ? ` (last ${st.lastFireAt})` : ""}`,
      );
    } else if (action === "timeout" && Number(ms) > 0) {
      const st = await setWatchdogTimeout(h, Number(ms));
      console.log(`${h}  watchdog timeout now ${st.timeoutMs} ms`);
    } else throw new Error(`watchdog: unknown action "${action}" (status | timeout <ms>)`);
  });

program
  .command("libvirtd-kill <host>")
  .description("kill the host's libvirtd (its VMs keep running) and keep it down until libvirtd-start")
  .action((h: string) => {
    requireState();
    console.log(`${h}: libvirtd ${killLibvirtd(h) ?? "(not running)"} killed; held down`);
  });

program
  .command("libvirtd-start <host>")
  .description("let the host's libvirtd start again (after libvirtd-kill)")
  .action((h: string) => {
    requireState();
    console.log(`${h}: libvirtd answering after ${startLibvirtd(h)} ms`);
  });

program.parseAsync().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
