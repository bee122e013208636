// The real Env of the port (../env.ts): etcd store, libvirt/OCF driver, fence-agents fencer,
// watchdog, a wakeable clock and the pino/event logger. `createRealEnv` wires them; the agent
// then runs the shared driver loop (core/driver.ts runAgent) on it.
import * as fs from "node:fs";
import * as path from "node:path";
import { StoreUnavailableError } from "../core/errors";
import { type TimingSpec, tryParseSpec } from "../core/spec";
import { timingWindows } from "../core/timing";
import type { Env, Heartbeat as HeartbeatPort, Store, StoreView, Watchdog } from "../env";
import { AgentFencer } from "../fence/fencer";
import { LibvirtDriver } from "../libvirt/driver";
import { DomainWatch } from "../libvirt/watch";
import { AgentMetrics } from "../metrics/metrics";
import { EtcdStore } from "../store/etcd-store";
import { Heartbeat } from "../store/heartbeat";
import { clusterPrefix, K } from "../store/keys";
import { DeviceWatchdog, NoWatchdog } from "../watchdog/softdog";
import { WakeableClock } from "./clock";
import { type AgentConfig, etcdPassword } from "./config";
import {
  earlyPetAllowed,
  type LeaseRecord,
  monotonicNs,
  readLeaseRecord,
  writeLeaseRecord,
} from "./hand-off";
import { AgentLogger } from "./logger";
import { HostResources } from "./resources";

/** Keys whose change deserves an immediate iteration (reports do not: they change constantly). */
const WAKE_PREFIXES = ["spec", "election", "manager", "leases/", "maintenance/", "requests/"];

export interface RealEnv {
  env: Env;
  store: EtcdStore;
  heartbeat: Heartbeat;
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
}

export function createRealEnv(cfg: AgentConfig): RealEnv {
  const metrics = new AgentMetrics(cfg.host);
  const logger = new AgentLogger(cfg.host, metrics, undefined, cfg.logLevel);
  const clock = new WakeableClock(cfg.budgetMs);
  const leaseFile = path.join(cfg.stateDir, `${cfg.cluster}.lease`);
  const leaseRecord = readLeaseRecord(leaseFile);
  const resumeLeaseId = leaseRecord?.id;
  const password = etcdPassword(cfg);
  const tls = cfg.etcdCaFile
    ? {
        caFile: cfg.etcdCaFile,
        ...(cfg.etcdCertFile ? { certFile: cfg.etcdCertFile, keyFile: cfg.etcdKeyFile } : {}),
      }
    : undefined;
  const auth = cfg.etcdUser && password ? { username: cfg.etcdUser, password } : undefined;
  const persistLease = (id: string, handOff?: LeaseRecord["handOff"]) => {
    try {
      fs.mkdirSync(cfg.stateDir, { recursive: true });
      writeLeaseRecord(leaseFile, handOff ? { id, handOff } : { id });
    } catch (err) {
      logger.log({
        level: "warn",
        host: cfg.host,
        subject: "lease",
        message: `cannot persist lease id: ${String(err)}`,
      });
    }
  };
  const startedAt = new Date().toISOString();
  const heartbeat = new Heartbeat({
    endpoints: cfg.etcd,
    host: cfg.host,
    presenceKey: `${clusterPrefix(cfg.cluster)}${K.lease(cfg.host)}`,
    presenceValue: (lease) => JSON.stringify({ host: cfg.host, lease, pid: process.pid, startedAt }),
    // The default keepalive interval. What bounds the acks lost to an etcd leader stall is how
    // soon a renewal goes on a fresh stream (stuck ones wait behind a forward to the frozen
    // leader): hedging after one interval instead of two, 250 ms renewals left the lease at most
    // 752 ms without an ack over 0.9-2.5 s leader stops, as 125 ms renewals did with 250 ms
    // hedging (748 ms; `npm run lab:etcd-stall-probe`), at half the messages (agent idle CPU).
    intervalMs: 250,
    hedgeAfterMs: 250,
    now: () => clock.now(),
    ...(tls ? { tls } : {}),
    ...(auth ? { auth } : {}),
    onChange: () => clock.wake(),
    // the loop's joins and the heartbeat's own after a loss alike: a restart resumes the newest
    onJoined: (id) => {
      store.invalidateView();
      persistLease(id);
    },
    rejoinOnLoss: true,
    log: (level, message) => logger.log({ level, host: cfg.host, subject: "lease", message }),
  });
  const store = new EtcdStore({
    host: cfg.host,
    cluster: cfg.cluster,
    endpoints: cfg.etcd,
    callTimeoutMs: cfg.storeTimeoutMs,
    leaseId: () => heartbeat.status().id,
    watchCache: cfg.watchCache,
    // Wake the loop from the copy's own watch, after the event is applied: a separate watch
    // could wake it before the copy has the change, and the iteration would see nothing new.
    onChange: (key) => {
      if (WAKE_PREFIXES.some((p) => key.startsWith(p))) clock.wake();
    },
    ...(tls ? { tls } : {}),
    ...(auth ? { auth } : {}),
  });
  const lease: HeartbeatPort = {
    // askedTtlMs: a resumed lease has none, so the loop moves a hand-off lease, or one of an
    // older spec, onto the spec's TTL
    status: () => heartbeat.status(),
    counted: (id) => heartbeat.counted(id),
    join: async (ttlMs, ifGeneration) => {
      try {
        await heartbeat.join(ttlMs, ifGeneration);
      } catch (err) {
        throw new StoreUnavailableError(
          `host ${cfg.host}`,
          `join: ${err instanceof Error ? err.message : String(err)}`,
          {
            cause: err,
          },
        );
      }
    },
    putPresence: async () => {
      try {
        await heartbeat.putPresence();
      } catch (err) {
        throw new StoreUnavailableError(
          `host ${cfg.host}`,
          `presence: ${err instanceof Error ? err.message : String(err)}`,
          {
            cause: err,
          },
        );
      }
    },
  };
  const specFile = path.join(cfg.stateDir, `${cfg.cluster}.spec.json`);
  const disk = {
    loadSpec: (): unknown => {
      try {
        return JSON.parse(fs.readFileSync(specFile, "utf8"));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw err;
      }
    },
    saveSpec: (doc: unknown) => {
      fs.mkdirSync(cfg.stateDir, { recursive: true });
      const tmp = `${specFile}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, JSON.stringify(doc), { mode: 0o600 });
      fs.renameSync(tmp, specFile);
    },
  };
  let timing: TimingSpec | undefined;
  let timingRevision = -1;
  let watchdogChecked = false;
  logger.setSink((rec) => store.appendEvent(rec));

  let lastSpec: SpecLike | undefined;
  let watchdogWarned = false;
  // The watchdog, with the time of its last pet (the isolation budget ends before it fires).
  let lastPetAt: number | undefined;
  const device = cfg.watchdog ? new DeviceWatchdog(cfg.watchdog, cfg.watchdogTimeoutMs) : new NoWatchdog();
  const watchdog: Watchdog = {
    arm: async (ms) => {
      await device.arm(ms);
      lastPetAt = clock.now();
    },
    pet: async () => {
      await device.pet();
      lastPetAt = clock.now();
    },
    disarm: () => device.disarm(),
    info: () => device.info(),
  };
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
    // While isolated, a graceful stop must end before the self-fence deadline (timing.ts).
    // While isolated, a graceful stop must end before the self-fence deadline (timing.ts), and
    // before the watchdog fires: no pet comes while a stop/kill VM runs, so the device resets the
    // host at the last pet + its timeout, which can be a few hundred ms before the deadline.
    isolationBudgetMs: () => {
      if (!timing) return undefined;
      const s = heartbeat.status();
      const w = timingWindows(timing, s.ttlMs || timing.leaseTtlMs);
      const now = clock.now();
      const age = now - s.lastAckSentAt;
      if (s.lostAt === undefined && age < w.isolateAfterMs) return undefined;
      const wd = watchdog.info();
      const untilReset =
        wd && lastPetAt !== undefined ? lastPetAt + wd.timeoutMs - now : Number.POSITIVE_INFINITY;
      return Math.min(w.deadlineMs - age, untilReset);
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
    campaign: async (eligible) => {
      const p = await store.campaign(eligible);
      metrics.isPrimary.set(p ? 1 : 0);
      return p;
    },
    read: async (): Promise<StoreView> => {
      let v: StoreView;
      try {
        v = await store.read();
      } catch (err) {
        metrics.storeUnreachable.inc();
        throw err;
      }
      metrics.iterations.inc();
      lastSpec = v.spec as typeof lastSpec;
      if (v.specRevision !== timingRevision) {
        // the parsed spec's timing (defaults filled in), as the core sees it
        timingRevision = v.specRevision;
        const r = tryParseSpec(v.spec);
        if (r.ok) timing = r.spec.timing;
      }
      if (timing && !watchdogChecked) {
        const wd = watchdog.info();
        if (wd) {
          watchdogChecked = true;
          if (wd.timeoutMs > timing.watchdogTimeoutMs)
            logger.log({
              level: "error",
              host: cfg.host,
              subject: "watchdog",
              message: `the device's timeout is ${wd.timeoutMs} ms, longer than the spec's watchdogTimeoutMs (${timing.watchdogTimeoutMs}): the primary will not free this host's VMs on the self-fence deadline; load softdog with soft_margin=${Math.floor(timing.watchdogTimeoutMs / 1000)}`,
            });
        }
      }
      if (!watchdogWarned && !cfg.watchdog) {
        watchdogWarned = true;
        logger.log({
          level: "warn",
          host: cfg.host,
          subject: "agent",
          message:
            "no watchdog (--watchdog /dev/watchdog after modprobe softdog): if this agent hangs, only this host's fence device can stop its VMs, so the primary never frees them on the self-fence deadline alone",
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
    lease,
    disk,
    driver,
    fencer,
    watchdog,
    clock,
    log: logger,
  };

  let watchers: Awaited<ReturnType<EtcdStore["watch"]>> = [];
  return {
    env,
    store,
    heartbeat,
    domains,
    clock,
    logger,
    metrics,
    async start() {
      // A planned restart's successor pets at once if the hand-off lease surely outlives it.
      if (cfg.watchdog && earlyPetAllowed(leaseRecord, cfg.watchdogTimeoutMs ?? 2000)) {
        try {
          await watchdog.arm(cfg.watchdogTimeoutMs ?? 2000);
          logger.log({
            level: "info",
            host: cfg.host,
            subject: "watchdog",
            message: "petted at start (hand-off lease still fresh)",
          });
        } catch (err) {
          logger.log({
            level: "error",
            host: cfg.host,
            subject: "watchdog",
            message: `arm at start failed: ${String(err)}`,
          });
        }
      }
      // Take over the previous run's lease if it still lives (its VMs are under it); else the
      // loop finds the lease lost, isolates what must stop, and joins.
      if (resumeLeaseId) {
        // A crashed agent's own lease was granted with the spec's TTL (etcd's answer says which);
        // only a hand-off lease must move back to one.
        const ok = await heartbeat.resume(resumeLeaseId, !leaseRecord?.handOff).catch(() => false);
        logger.log({
          level: ok ? "info" : "warn",
          host: cfg.host,
          subject: "lease",
          message: ok
            ? `resumed lease ${resumeLeaseId}`
            : `lease ${resumeLeaseId} of the previous run is gone or unreachable`,
        });
      }
      heartbeat.start();
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
          await store.resign().catch(() => undefined);
          const grantSentAtNs = monotonicNs();
          const id = await heartbeat.handOff(handOffS);
          persistLease(id, { grantSentAtNs: String(grantSentAtNs), ttlMs: heartbeat.status().ttlMs });
          await store.moveReport(id).catch(() => undefined);
          // A full watchdog period for the next agent (allowed: the hand-off lease is fresh).
          if (watchdog.info()) await watchdog.pet().catch(() => undefined);
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
      if (revokeLease) await heartbeat.revoke().catch(() => undefined);
      heartbeat.close();
      if (revokeLease) fs.rmSync(leaseFile, { force: true });
    },
  };
}
