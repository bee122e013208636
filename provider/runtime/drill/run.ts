// A failover drill against a real cluster (the seed's "regularly test failover scenarios"):
// power a host off through its own fence device, watch the store until its resources run again
// elsewhere, then power it back on. Reads the store only; the agents do the failover.
import * as fs from "node:fs";
import type { StoreView } from "../core/model";
import { tryParseSpec } from "../core/spec";
import { type FenceDevice, fenceOff, runFence } from "../fence/runner";
import type { EtcdStore } from "../store/etcd-store";
import { type DrillTimeline, observe, recovered, startTimeline } from "./timeline";

export interface DrillOptions {
  host: string;
  /** Give up waiting (and fail) after this long. */
  limitMs: number;
  /** Power the host back on afterwards (default). */
  restore: boolean;
  /** JSON file { "<host>": { "<param>": "<value>" } } with the device's secret params. */
  secretsFile?: string;
  progress: (line: string) => void;
  pollMs?: number;
}

export interface DrillResult {
  timeline: DrillTimeline;
  /** ms the fence device took to power the host off and confirm it off. */
  powerOffMs?: number;
  /** ms the fence device took to answer the power-on; undefined if not restored. */
  powerOnMs?: number;
  /** ms from power-on until the host held its lease again; undefined if not restored. */
  rejoinedMs?: number;
}

/** The step a drill stopped at: before the power-off, or one of the power steps. */
export type DrillStep = "prepare" | "power-off" | "power-on" | "rejoin";

/**
 * A drill that could not complete, with what it had measured by then (so a report, e.g. JUnit,
 * still shows the recoveries of a drill whose power-on failed). The message is the cause's own.
 */
export class DrillError extends Error {
  constructor(
    readonly step: DrillStep,
    message: string,
    readonly partial?: DrillResult,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "DrillError";
  }
}

/** Runs one step; an error it throws becomes a DrillError of that step, message unchanged. */
async function inStep<T>(
  step: DrillStep,
  partial: DrillResult | undefined,
  fn: () => Promise<T>,
): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof DrillError) throw err;
    throw new DrillError(step, err instanceof Error ? err.message : String(err), partial, { cause: err });
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function secretsFor(store: EtcdStore, host: string, names: readonly string[], file?: string) {
  if (names.length === 0) return {};
  let all: Record<string, string> | undefined;
  if (file) all = (JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, Record<string, string>>)[host];
  if (!all) {
    const v = await store.ns.get(`secrets/fence/${host}`).string();
    all = v ? (JSON.parse(v) as Record<string, string>) : undefined;
  }
  const out: Record<string, string> = {};
  for (const n of names) {
    const v = all?.[n];
    if (v === undefined)
      throw new Error(`drill ${host}: fence secret "${n}" found neither in --fence-secrets nor in the store`);
    out[n] = v;
  }
  return out;
}

async function deviceFor(store: EtcdStore, view: StoreView, host: string, secretsFile?: string) {
  const r = tryParseSpec(view.spec);
  if (!r.ok)
    throw new Error(
      `drill ${host}: the cluster has no valid spec: ${r.issues.map((i) => i.reason).join("; ")}`,
    );
  const h = r.spec.hosts[host];
  if (!h)
    throw new Error(
      `drill: host ${host} is not in cluster ${r.spec.name} (hosts: ${Object.keys(r.spec.hosts).join(", ")})`,
    );
  if (!h.fence)
    throw new Error(`drill ${host}: the host has no fence device; a drill powers the host off through it`);
  const params = { ...h.fence.params, ...(await secretsFor(store, host, h.fence.secretParams, secretsFile)) };
  // fence-agents read both names; two different ones could power the wrong machine off
  if (params.plug !== undefined && params.port !== undefined && params.plug !== params.port) {
    throw new Error(
      `drill ${host}: the fence device names plug "${params.plug}" and port "${params.port}"; give one`,
    );
  }
  const plug = params.plug ?? params.port ?? host;
  delete params.plug;
  delete params.port;
  const dev: FenceDevice = {
    name: h.fence.agent,
    agent: h.fence.agent,
    params,
    timeoutMs: r.spec.timing.fenceTimeoutMs,
  };
  return { dev, plug };
}

export async function runDrill(store: EtcdStore, o: DrillOptions): Promise<DrillResult> {
  const { before, dev, plug } = await inStep("prepare", undefined, async () => {
    const before = await store.read();
    if (!before.leases.includes(o.host))
      throw new Error(`drill ${o.host}: the host is not online (no lease); nothing to drill`);
    const others = before.leases.filter((h) => h !== o.host);
    if (others.length === 0)
      throw new Error(`drill ${o.host}: no other host is online to take its resources`);
    return { before, ...(await deviceFor(store, before, o.host, o.secretsFile)) };
  });
  const timeline = startTimeline(o.host, before);
  o.progress(
    `drill ${o.host}: ${timeline.resources.length} resource(s) to recover (${timeline.resources.map((r) => r.name).join(", ") || "none"}); powering off through ${dev.agent}`,
  );
  // Time runs from the moment the power-off was requested: that is when the host died.
  const t0 = performance.now();
  const off = await inStep("power-off", { timeline }, () => fenceOff(dev, plug));
  const powerOffMs = off.totalMs;
  o.progress(
    `drill ${o.host}: powered off (device answered in ${Math.round(off.totalMs)} ms, off confirmed)`,
  );
  const poll = o.pollMs ?? 50;
  while (!recovered(timeline) && performance.now() - t0 < o.limitMs) {
    try {
      observe(timeline, await store.read(), performance.now() - t0);
    } catch {
      // A store hiccup during a drill is part of what is tested; keep polling.
    }
    await sleep(poll);
  }
  o.progress(
    `drill ${o.host}: ${recovered(timeline) ? "recovered" : "NOT recovered"} after ${((performance.now() - t0) / 1000).toFixed(2)} s`,
  );
  if (!o.restore) return { timeline, powerOffMs };
  const tOn = performance.now();
  const on = await inStep("power-on", { timeline, powerOffMs }, () => runFence(dev, "on", plug));
  if (!on.ok)
    throw new DrillError("power-on", `drill ${o.host}: powering the host back on failed: ${on.detail}`, {
      timeline,
      powerOffMs,
    });
  const t1 = performance.now();
  const powerOnMs = t1 - tOn;
  for (;;) {
    const v = await store.read().catch(() => undefined);
    if (v?.leases.includes(o.host))
      return { timeline, powerOffMs, powerOnMs, rejoinedMs: performance.now() - t1 };
    if (performance.now() - t1 > 120_000)
      throw new DrillError("rejoin", `drill ${o.host}: powered on, but no lease after 120 s`, {
        timeline,
        powerOffMs,
        powerOnMs,
      });
    await sleep(200);
  }
}
