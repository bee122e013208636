#!/usr/bin/env node
// vmha-agent: the KVM HA agent of one host. See provider/runtime/systemd/vmha-agent.service.
import { Command } from "commander";
import { startAgent } from "../agent/agent";
import { loadAgentConfig } from "../agent/config";

const program = new Command()
  .name("vmha-agent")
  .description("vmha HA agent for one KVM host: heartbeat, election, monitoring, fencing, recovery")
  .option(
    "-c, --config <file>",
    "JSON configuration file (flags override it)",
    process.env["VMHA_AGENT_CONFIG"],
  )
  .option("--host <name>", "this host's name in the cluster spec", process.env["VMHA_HOST"])
  .option("--cluster <name>", "cluster name (store prefix /vmha/<cluster>/)", process.env["VMHA_CLUSTER"])
  .option("--etcd <urls>", "etcd client URLs, comma-separated", process.env["VMHA_ETCD"])
  .option("--etcd-ca <file>", "CA bundle for etcd TLS", process.env["VMHA_ETCD_CA"])
  .option("--etcd-cert <file>", "client certificate for etcd mTLS", process.env["VMHA_ETCD_CERT"])
  .option("--etcd-key <file>", "client key for etcd mTLS", process.env["VMHA_ETCD_KEY"])
  .option(
    "--etcd-user <name>",
    "etcd user (password from VMHA_ETCD_PASSWORD or --etcd-password-file)",
    process.env["VMHA_ETCD_USER"],
  )
  .option("--etcd-password-file <file>", "file holding the etcd password")
  .option(
    "--lease-ttl <s>",
    "ignored: the lease TTL is the spec's timing.leaseTtlMs",
    process.env["VMHA_LEASE_TTL"],
  )
  .option("--libvirt <uri>", "libvirt URI", process.env["VMHA_LIBVIRT_URI"])
  .option("--metrics <addr:port>", "serve Prometheus /metrics here", process.env["VMHA_METRICS"])
  .option(
    "--watchdog <device>",
    "watchdog device (e.g. /dev/watchdog after modprobe softdog)",
    process.env["VMHA_WATCHDOG"],
  )
  .option(
    "--watchdog-timeout <ms>",
    "the watchdog's timeout when the device does not expose one (/sys/class/watchdog/*/timeout)",
    process.env["VMHA_WATCHDOG_TIMEOUT_MS"],
  )
  .option(
    "--fence-secrets <file>",
    "JSON file with fence secrets per host",
    process.env["VMHA_FENCE_SECRETS"],
  )
  .option("--state-dir <dir>", "where the lease id is kept across restarts", process.env["VMHA_STATE_DIR"])
  .option("--graceful-stop <ms>", "VM shutdown deadline before destroy")
  .option("--log-level <level>", "debug|info|warn|error", process.env["VMHA_LOG_LEVEL"])
  .option(
    "--hook-exec <path>",
    "executable run on fence, failover, isolation and lost headroom (JSON event on stdin, no shell)",
    process.env["VMHA_HOOK_EXEC"],
  )
  .option("--hook-url <url>", "webhook: the JSON event is POSTed here", process.env["VMHA_HOOK_URL"])
  .option(
    "--hook-token-file <file>",
    "bearer token for --hook-url (mode 0600: not group/world readable)",
    process.env["VMHA_HOOK_TOKEN_FILE"],
  )
  .option(
    "--hook-queue <n>",
    "events waiting per hook before the oldest is dropped (256)",
    process.env["VMHA_HOOK_QUEUE"],
  )
  .option("--hook-timeout <ms>", "per attempt (5000)", process.env["VMHA_HOOK_TIMEOUT_MS"])
  .option("--hook-attempts <n>", "attempts per event, with backoff (5)", process.env["VMHA_HOOK_ATTEMPTS"]);

async function main(): Promise<void> {
  program.parse();
  const o = program.opts<Record<string, string | undefined>>();
  const num = (s: string | undefined) => (s === undefined ? undefined : Number(s));
  const cfg = loadAgentConfig(
    {
      host: o["host"],
      cluster: o["cluster"],
      etcd: o["etcd"]?.split(",").filter(Boolean),
      etcdCaFile: o["etcdCa"],
      etcdCertFile: o["etcdCert"],
      etcdKeyFile: o["etcdKey"],
      etcdUser: o["etcdUser"],
      etcdPasswordFile: o["etcdPasswordFile"],
      leaseTtlS: num(o["leaseTtl"]),
      libvirtUri: o["libvirt"],
      metrics: o["metrics"],
      watchdog: o["watchdog"],
      watchdogTimeoutMs: num(o["watchdogTimeout"]),
      fenceSecretsFile: o["fenceSecrets"],
      stateDir: o["stateDir"],
      gracefulStopMs: num(o["gracefulStop"]),
      logLevel: o["logLevel"] as "info" | undefined,
      hookExec: o["hookExec"],
      hookUrl: o["hookUrl"],
      hookTokenFile: o["hookTokenFile"],
      hookQueue: num(o["hookQueue"]),
      hookTimeoutMs: num(o["hookTimeout"]),
      hookAttempts: num(o["hookAttempts"]),
    },
    o["config"],
  );
  const agent = await startAgent(cfg);
  let stopping = false;
  const stop = (leave: boolean) => {
    if (stopping) return;
    stopping = true;
    void agent.stop({ leave }).then(() => process.exit(0));
  };
  process.on("SIGTERM", () => stop(false));
  process.on("SIGINT", () => stop(false));
  // SIGUSR2: leave the cluster for good (decommission); the primary then fences and recovers.
  process.on("SIGUSR2", () => stop(true));
  await agent.done;
}

main().catch((err: unknown) => {
  process.stderr.write(`vmha-agent: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
