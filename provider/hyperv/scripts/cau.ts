// Scripts and result schemas for ClusterAwareUpdating (pure). Get-CauClusterRole returns the
// role's settings as Name/Value pairs.
import { z } from "zod";
import { list, psDate } from "../ps/parse";
import { array, cmd, emitJson, hashtable, pipe, quiet, type Raw, select, sw } from "../ps/script";

export interface CauSettings {
  daysOfWeek: string[];
  weeksOfMonth: number[];
  maxFailedNodes: number;
  maxRetriesPerNode: number;
  requireAllNodesOnline: boolean;
  startDate?: string;
  enableFirewallRules: boolean;
  virtualComputerObjectName?: string;
}

function params(cluster: string, c: CauSettings) {
  return {
    ClusterName: cluster,
    DaysOfWeek: c.daysOfWeek,
    WeeksOfMonth: c.weeksOfMonth.length ? c.weeksOfMonth : undefined,
    MaxFailedNodes: c.maxFailedNodes,
    MaxRetriesPerNode: c.maxRetriesPerNode,
    RequireAllNodesOnline: sw(c.requireAllNodesOnline),
    StartDate: c.startDate,
  };
}

export function addCau(cluster: string, c: CauSettings): Raw {
  return quiet(
    cmd("Add-CauClusterRole", {
      ...params(cluster, c),
      VirtualComputerObjectName: c.virtualComputerObjectName,
      EnableFirewallRules: c.enableFirewallRules ? sw() : undefined,
      Force: sw(),
    }),
  );
}

export function setCau(cluster: string, c: CauSettings): Raw {
  return quiet(cmd("Set-CauClusterRole", { ...params(cluster, c), Force: sw() }));
}

export function removeCau(cluster: string): Raw {
  return quiet(cmd("Remove-CauClusterRole", { ClusterName: cluster, Force: sw() }));
}

export function readCau(cluster: string): Raw {
  return emitJson(
    hashtable({
      pairs: array(pipe(cmd("Get-CauClusterRole", { ClusterName: cluster }), select("Name", "Value"))),
    }),
  );
}

export const cauResult = z.object({ pairs: list(z.object({ Name: z.string(), Value: z.unknown() })) });

const DAY_BITS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

/** DaysOfWeek as 5.1 writes it (flags integer) or as text ("Tuesday, Saturday"). */
export function daysFrom(v: unknown): string[] {
  if (typeof v === "number") return DAY_BITS.filter((_, i) => (v & (1 << i)) !== 0);
  if (typeof v === "string") return v.split(/[,\s]+/).filter((d) => DAY_BITS.includes(d));
  return [];
}

export interface LiveCau {
  resourceGroupName: string;
  daysOfWeek: string[];
  weeksOfMonth: number[];
  maxFailedNodes: number;
  maxRetriesPerNode: number;
  requireAllNodesOnline: boolean;
  startDate?: Date;
  virtualComputerObjectName?: string;
}

export function liveCau(pairs: Array<{ Name: string; Value: unknown }>): LiveCau {
  const get = (n: string) => pairs.find((p) => p.Name === n)?.Value;
  const weeks = get("WeeksOfMonth");
  const start = psDate.safeParse(get("StartDate"));
  return {
    resourceGroupName: String(get("ResourceGroupName") ?? ""),
    daysOfWeek: daysFrom(get("DaysOfWeek")),
    weeksOfMonth: (Array.isArray(weeks) ? weeks : weeks === null || weeks === undefined ? [] : [weeks]).map(
      Number,
    ),
    maxFailedNodes: Number(get("MaxFailedNodes") ?? 0),
    maxRetriesPerNode: Number(get("MaxRetriesPerNode") ?? 0),
    requireAllNodesOnline: get("RequireAllNodesOnline") === true || get("RequireAllNodesOnline") === "True",
    startDate: start.success ? start.data : undefined,
    virtualComputerObjectName:
      typeof get("VirtualComputerObjectName") === "string"
        ? (get("VirtualComputerObjectName") as string)
        : undefined,
  };
}
