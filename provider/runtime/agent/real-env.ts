// The real Env of the port (../env.ts): etcd store, libvirt/OCF driver, fence-agents fencer,
// watchdog, a wakeable clock and the pino/event logger. `createRealEnv` wires them; the agent
// then runs the shared driver loop (core/driver.ts runAgent) on it.
import * as fs from "node:fs";
import * as path from "node:path";
import type { Env, Store, StoreView } from "../env";
import { AgentFencer } from "../fence/fencer";
import { LibvirtDriver } from "../libvirt/driver";
import { DomainWatch } from "../libvirt/watch";
import { AgentMetrics } from "../metrics/metrics";
import { EtcdStore } from "../store/etcd-store";
import { DeviceWatchdog, NoWatchdog } from "../watchdog/softdog";
import { WakeableClock } from "./clock";
import { type AgentConfig, etcdPassword } from "./config";
import { AgentLogger } from "./logger";
import { HostResources } from "./resources";

/** Keys whose change deserves an immediate iteration (reports do not: they change constantly). */
const WAKE_PREFIXES = ["spec", "election", "manager", "leases/", "maintenance/", "requests/"];

export interface RealEnv {
  env: Env;
  store: EtcdStore;
  domains: DomainWatch;
  clock: WakeableClock;
  logger: AgentLogger;
  metrics: AgentMetrics;
  /** Starts the watches (libvirt events, store changes). */
  start(): Promise<void>;
  /** handOffS > 0: keep the heartbeat alive that long for a restarted agent (planned restart). */
  close(opts: { revokeLease: boolean; handOffS: number }): Promise<void>;
}

interface SpecHost {
  labels?: Record<string, string>;
}

interface SpecLike {
  hosts?: Record<string, SpecHost>;
  timing?: { watchdogTimeoutMs?: number; leaseTtlMs?: number };
}

export function createRealEnv(cfg: AgentConfig): RealEnv {
  const metrics = new AgentMetrics(cfg.host);
  const logger = new AgentLogger(cfg.host, metrics, undefined, cfg.logLevel);
  const clock = new WakeableClock(cfg.budgetMs);
  const leaseFile = path.join(cfg.stateDir, `${cfg.cluster}.lease`);
  let resumeLeaseId: string | undefined;
  try {
    resumeLeaseId = fs.readFileSync(leaseFile, "utf8").trim() || undefined;
  } catch {
    resumeLeaseId = undefined;
  }
  const password = etcdPassword(cfg);
  const store = new EtcdStore({
    host: cfg.host,
    cluster: cfg.cluster,
    endpoints: cfg.etcd,
    callTimeoutMs: cfg.storeTimeoutMs,
    leaseTtlS: cfg.leaseTtlS,
    watchCache: cfg.watchCache,
    // Wake the loop from the copy's own watch, after the event is applied: a separate watch
    // could wake it before the copy has the change, and the iteration would see nothing new.
    onChange: (key) => {
      if (WAKE_PREFIXES.some((p) => key.startsWith(p))) clock.wake();
    },
    presence: { pid: process.pid, startedAt: new Date().toISOString() },
    ...(resumeLeaseId ? { resumeLeaseId } : {}),
    ...(cfg.etcdCaFile
      ? {
          tls: {
            caFile: cfg.etcdCaFile,
            ...(cfg.etcdCertFile ? { certFile: cfg.etcdCertFile, keyFile: cfg.etcdKeyFile } : {}),
          },
        }
      : {}),
    ...(cfg.etcdUser && password ? { auth: { username: cfg.etcdUser, password } } : {}),
    onLease: (id) => {
      try {
        fs.mkdirSync(cfg.stateDir, { recursive: true });
        fs.writeFileSync(leaseFile, id);
      } catch (err) {
        logger.log({
          level: "warn",
          host: cfg.host,
          subject: "lease",
          message: `cannot persist lease id: ${String(err)}`,
        });
      }
    },
  });
  logger.setSink((rec) => store.appendEvent(rec));

  let lastSpec: SpecLike | undefined;
  let ttlWarned = false;
  let watchdogWarned = false;
  const libvirt = new LibvirtDriver({ uri: cfg.libvirtUri, timeoutMs: 15000 });
  const domains = new DomainWatch(libvirt, {
    // libvirt's events keep the list current; the full re-list is only a safety net (each
    // costs two virsh runs, ~60 ms of CPU).
    refreshMs: 30000,
    onError: (err) => logger.log({ level: "warn", host: cfg.host, subject: "libvirt", message: err.message }),
    onChange: () => clock.wake(),
  });
  const driver = new HostResources(libvirt, domains, {
    host: cfg.host,
    cluster: cfg.cluster,
    log: (subject, message) => logger.log({ level: "info", host: cfg.host, subject, message }),
    gracefulStopMs: cfg.gracefulStopMs,
    ocfTimeoutMs: cfg.ocfTimeoutMs,
    peer: (h) => {
      const addr = lastSpec?.hosts?.[h]?.labels?.["address"];
      return addr ? { libvirtUri: `qemu+tcp://${addr}/system`, migrateUri: `tcp://${addr}` } : undefined;
    },
    onDone: () => clock.wake(),
    isolationBudgetMs: () => {
      const now = performance.now();
      if (store.lease.validUntilMs > now) return undefined;
      const t = lastSpec?.timing;
      const budget = (t?.watchdogTimeoutMs ?? 1500) - (t?.leaseTtlMs ?? 1000);
      return store.lease.validUntilMs + budget - now;
    },
  });
  const fencer = new AgentFencer({
    ...(cfg.fenceSecretsFile ? { secretsFile: cfg.fenceSecretsFile } : {}),
    storeSecrets: async (h) => {
      const v = await store.ns.get(`secrets/fence/${h}`).string();
      return v ? (JSON.parse(v) as Record<string, string>) : undefined;
    },
    onResult: (r) => {
      metrics.fenceOps.inc({ host: r.host, result: r.ok ? "off" : "failed" });
      if (r.ok) metrics.fenceSeconds.observe(r.ms / 1000);
      logger.log({
        level: r.ok ? "info" : "warn",
        host: cfg.host,
        subject: `host ${r.host}`,
        message: r.ok
          ? `fence device confirmed off in ${Math.round(r.ms)} ms`
          : `fencing failed after ${Math.round(r.ms)} ms: ${r.error}`,
      });
    },
    onDone: () => clock.wake(),
  });

  // The store as the loop sees it, plus metrics of what it reads.
  const observed: Store = {
    keepalive: () =>
      store.keepalive().catch((err: unknown) => {
        metrics.storeUnreachable.inc();
        throw err;
      }),
    campaign: async (eligible) => {
      const p = await store.campaign(eligible);
      metrics.isPrimary.set(p ? 1 : 0);
      return p;
    },
    read: async (): Promise<StoreView> => {
      const v = await store.read();
      metrics.iterations.inc();
      lastSpec = v.spec as typeof lastSpec;
      const ttl = lastSpec?.timing?.leaseTtlMs ?? 1000;
      if (!watchdogWarned && !cfg.watchdog) {
        watchdogWarned = true;
        logger.log({
          level: "warn",
          host: cfg.host,
          subject: "agent",
          message:
            "no watchdog (--watchdog /dev/watchdog after modprobe softdog): if this agent hangs or dies, only this host's fence device can stop its VMs before they restart elsewhere",
        });
      }
      if (!ttlWarned && ttl !== cfg.leaseTtlS * 1000) {
        ttlWarned = true;
        logger.log({
          level: "warn",
          host: cfg.host,
          subject: "lease",
          message: `spec timing.leaseTtlMs is ${ttl} but this agent's lease TTL is ${cfg.leaseTtlS * 1000} ms (--lease-ttl); set them equal`,
        });
      }
      if (v.manager) {
        metrics.hostState.reset();
        for (const [h, rec] of Object.entries(v.manager.hosts))
          metrics.hostState.set({ host: h, state: rec.state }, 1);
      }
      return v;
    },
    commitManager: (rev, state) => store.commitManager(rev, state),
    report: async (r) => {
      metrics.resourceRunning.reset();
      for (const name of r.running) metrics.resourceRunning.set({ resource: name }, 1);
      await store.report(r);
    },
  };

  const env: Env = {
    host: cfg.host,
    store: observed,
    driver,
    fencer,
    watchdog: cfg.watchdog ? new DeviceWatchdog(cfg.watchdog) : new NoWatchdog(),
    clock,
    log: logger,
  };

  let watchers: Awaited<ReturnType<EtcdStore["watch"]>> = [];
  return {
    env,
    store,
    domains,
    clock,
    logger,
    metrics,
    async start() {
      await domains.start();
      try {
        if (!cfg.watchCache) watchers = await store.watch(WAKE_PREFIXES, () => clock.wake());
      } catch (err) {
        // The loop works without the watch (it polls every keepalive interval); retry later.
        logger.log({
          level: "warn",
          host: cfg.host,
          subject: "store",
          message: `watch not started: ${String(err)}`,
        });
      }
    },
    async close({ revokeLease, handOffS }) {
      domains.stop();
      if (!revokeLease && handOffS > 0) {
        try {
          await store.handOff(handOffS);
        } catch (err) {
          logger.log({
            level: "warn",
            host: cfg.host,
            subject: "lease",
            message: `hand-off failed: ${String(err)}`,
          });
        }
      }
      try {
        await Promise.all(watchers.map((w) => w.cancel()));
      } catch {
        /* closing anyway */
      }
      await store.close(revokeLease);
      if (revokeLease) fs.rmSync(leaseFile, { force: true });
    },
  };
}
