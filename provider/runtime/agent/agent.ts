// vmha-agent: one per KVM host. Joins the cluster with a lease, takes part in the election and
// runs the shared driver loop (core/driver.ts) on the real Env. A restarted agent resumes its
// lease (if it still lives) and adopts the resources libvirt already runs: the loop lists them
// before deciding anything, so they are reported as running, not started again.
import type * as http from "node:http";
import { runAgent } from "../core/driver";
import { Hooks } from "../hooks/dispatch";
import { type AgentConfig, hookConfigOf } from "./config";
import { HookTap } from "./hook-tap";
import { createRealEnv } from "./real-env";

export interface AgentHandle {
  /** Resolves when the loop has stopped and everything is closed. */
  done: Promise<void>;
  /**
   * Stops the agent. Resources keep running and the lease is kept until it expires, so an agent
   * restarted within one lease TTL continues as if nothing happened. With `leave`, the lease is
   * revoked (the host leaves the cluster at once; the primary then treats it as failed).
   */
  stop(opts?: { leave?: boolean }): Promise<void>;
}

export async function startAgent(cfg: AgentConfig): Promise<AgentHandle> {
  // Before anything connects: a bad hook setting (token file readable by others) fails the start.
  const hooks = new Hooks(
    hookConfigOf(cfg),
    (level, message) => logger.log({ level, host: cfg.host, subject: "hook", message }),
    undefined,
  );
  const real = createRealEnv(cfg);
  const { logger } = real;
  const say = (message: string, level: "info" | "warn" | "error" = "info") =>
    logger.log({ level, host: cfg.host, subject: "agent", message });
  // The scrape-time gauges read the heartbeat and the loop's last store read (lease age, failover
  // headroom, resource states), so real-env.ts needs no metrics plumbing of its own.
  real.metrics.observeLease(
    () => real.heartbeat.status(),
    () => real.clock.now(),
  );
  // Hooks (fence, failover, isolation, headroom) are derived from what the loop commits and
  // logs, through taps on its Env: the core and the loop are unchanged, and emit() only queues.
  hooks.useMetrics(real.metrics.hooks);
  const tap = new HookTap({
    cluster: cfg.cluster,
    host: cfg.host,
    hooks,
    lease: () => real.heartbeat.status(),
    onError: (message) => say(message, "error"),
  });
  const env = {
    ...real.env,
    store: tap.observeStore(real.metrics.observeStore(real.env.store)),
    log: tap.observeLog(real.env.log),
  };
  let server: http.Server | undefined;
  if (cfg.metrics) server = await real.metrics.serve(cfg.metrics);
  await real.start();
  say(
    `started: cluster ${cfg.cluster}, etcd ${cfg.etcd.join(",")}, libvirt ${cfg.libvirtUri}` +
      `${cfg.metrics ? `, metrics http://${cfg.metrics}/metrics` : ""}, watchdog ${cfg.watchdog ?? "none"}` +
      `, hooks ${hooks.describe()}`,
  );
  const abort = new AbortController();
  let leave = false;
  let crashed = false;
  const loop = runAgent(env, { signal: abort.signal, leaving: () => leave });
  const done = loop
    .catch((err: unknown) => {
      crashed = true;
      say(`loop failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`, "error");
      throw err;
    })
    .finally(async () => {
      server?.close();
      await real.close({ revokeLease: leave, handOffS: crashed ? 0 : cfg.restartGraceS });
      // after the heartbeat was handed off (a hook must not delay that): a moment for what is
      // queued, then the rest is dropped (at-most-once, README "Hooks")
      if (!crashed) await hooks.drain(2000);
      hooks.close();
    });
  return {
    done,
    async stop(opts = {}) {
      leave = opts.leave === true;
      say(
        leave
          ? "stopping: leaving the cluster (lease revoked)"
          : `stopping: resources keep running; heartbeat kept ${cfg.restartGraceS} s for the restarted agent`,
      );
      abort.abort();
      real.clock.wake();
      await done.catch(() => undefined);
    },
  };
}
