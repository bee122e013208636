// vmha-agent: one per KVM host. Joins the cluster with a lease, takes part in the election and
// runs the shared driver loop (core/driver.ts) on the real Env. A restarted agent resumes its
// lease (if it still lives) and adopts the resources libvirt already runs: the loop lists them
// before deciding anything, so they are reported as running, not started again.
import type * as http from "node:http";
import { runAgent } from "../core/driver";
import type { AgentConfig } from "./config";
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
  const env = { ...real.env, store: real.metrics.observeStore(real.env.store) };
  let server: http.Server | undefined;
  if (cfg.metrics) server = await real.metrics.serve(cfg.metrics);
  await real.start();
  say(
    `started: cluster ${cfg.cluster}, etcd ${cfg.etcd.join(",")}, libvirt ${cfg.libvirtUri}` +
      `${cfg.metrics ? `, metrics http://${cfg.metrics}/metrics` : ""}, watchdog ${cfg.watchdog ?? "none"}`,
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
