// What every vSphere resource does with vCenter: connect (one cached session per provider
// process), read a cluster's HA configuration in one round trip, reconfigure it and wait.
import type { OpContext } from "../../core/resource";
import { NotFoundError } from "../client/faults";
import { retrieve } from "../client/props";
import { clientFor, type VimClient } from "../client/session";
import { connectionSettings } from "../client/settings";
import { runTask } from "../client/tasks";
import { child, type MoRef, text } from "../client/xml";
import {
  type ClusterSpecParts,
  clusterSpecXml,
  type DasConfig,
  type DasVmConfig,
  parseDasConfig,
  parseDasVmConfigs,
} from "../mapping/das";

export function vim(ctx: OpContext): VimClient {
  return clientFor(connectionSettings(ctx.config));
}

export function clusterRef(id: string): MoRef {
  return { type: "ClusterComputeResource", value: id };
}

export interface ClusterHa {
  name: string;
  das: DasConfig;
  overrides: DasVmConfig[];
}

/** Reads that shared one round trip (props.retrieve) also share one parse. */
const parsed = new WeakMap<Record<string, unknown>, ClusterHa>();

/** The cluster's name and HA configuration, or undefined when the cluster no longer exists. */
export async function tryClusterHa(ctx: OpContext, clusterId: string): Promise<ClusterHa | undefined> {
  const c = vim(ctx);
  try {
    const p = await ctx.call(`read cluster ${clusterId}`, (signal) =>
      retrieve(c, clusterRef(clusterId), ["name", "configurationEx"], signal),
    );
    let ha = parsed.get(p);
    if (!ha) {
      const cfg = p["configurationEx"];
      ha = {
        name: text(p["name"]) ?? clusterId,
        das: parseDasConfig(child(cfg, "dasConfig")),
        overrides: parseDasVmConfigs(cfg),
      };
      parsed.set(p, ha);
    }
    return ha;
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
}

export async function clusterHa(ctx: OpContext, clusterId: string): Promise<ClusterHa> {
  const ha = await tryClusterHa(ctx, clusterId);
  if (!ha)
    throw new NotFoundError(`cluster ${clusterId} does not exist in vCenter (deleted outside Pulumi?)`);
  return ha;
}

/** ReconfigureComputeResource_Task with modify: true (only the given parts change), awaited. */
export async function reconfigure(ctx: OpContext, clusterId: string, parts: ClusterSpecParts, what: string) {
  const c = vim(ctx);
  const label = `reconfigure cluster ${clusterId} (${what})`;
  ctx.progress(label);
  await ctx.call(
    label,
    (signal) =>
      runTask(
        c,
        "ReconfigureComputeResource_Task",
        clusterRef(clusterId),
        { spec: clusterSpecXml(parts), modify: true },
        label,
        signal,
        { progress: (m) => ctx.progress(m) },
      ),
    {
      timeoutMs: 300_000,
      // A dasConfig change with modify is idempotent and safe to retry; adding or removing a VM
      // override is not (a retry after a lost answer would fail on the override it just made).
      ...(parts.dasVmConfigSpec?.some((s) => s.operation !== "edit")
        ? { retry: { attempts: 1, initialDelayMs: 0, maxDelayMs: 0 } }
        : {}),
    },
  );
}
