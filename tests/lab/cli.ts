#!/usr/bin/env node
// npm run lab -- up|down|status|kill <h>|on <h>|partition <h>|heal <h>|fence-fail <h> on|off|agent-restart <h>
import { Command } from "commander";
import { startAgent, stopAgent } from "./lib/agents";
import { etcdEndpoints, hostIp, libvirtUri, METRICS_PORT } from "./lib/config";
import * as lab from "./lib/lab";
import { requireState } from "./lib/state";

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
  .action(async (o: { hosts: string; etcd: string; vms: string; agents: boolean; spec: boolean }) => {
    const { state, timings } = await lab.up({
      hosts: Number(o.hosts),
      etcd: Number(o.etcd),
      ...(o.spec ? { vms: Number(o.vms) } : {}),
      agents: o.agents,
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
  });

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

program.parseAsync().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
