// Scripts and result schemas for VmRole (pure).
import { z } from "zod";
import { type UnknownLive, unknownLive } from "../../core/changes";
import { list, optString } from "../ps/parse";
import {
  array,
  calculated,
  cmd,
  emitJson,
  hashtable,
  literal,
  pipe,
  quiet,
  type Raw,
  raw,
  select,
  setProperty,
  statements,
  sw,
  variable,
} from "../ps/script";
import { PRIORITIES } from "../resources/vm-role.schema";

export function addRole(cluster: string, vm: string, group: string): Raw {
  return quiet(cmd("Add-ClusterVirtualMachineRole", { Cluster: cluster, VMName: vm, Name: group }));
}

export interface RoleSettings {
  priority: keyof typeof PRIORITIES;
  antiAffinityClassNames: string[];
  preferredOwners: string[];
  failoverThreshold?: number;
  failoverPeriodHours?: number;
  failback?: { allowed: boolean; windowStartHour?: number; windowEndHour?: number };
}

/** Group properties are set by assignment on the group object; owners with Set-ClusterOwnerNode. */
export function applySettings(cluster: string, group: string, r: RoleSettings): Raw {
  const g = variable("g");
  const steps: Raw[] = [raw(`$g = ${cmd("Get-ClusterGroup", { Cluster: cluster, Name: group }).text}`)];
  steps.push(setProperty(g, "Priority", PRIORITIES[r.priority]));
  if (r.failoverThreshold !== undefined) steps.push(setProperty(g, "FailoverThreshold", r.failoverThreshold));
  if (r.failoverPeriodHours !== undefined)
    steps.push(setProperty(g, "FailoverPeriod", r.failoverPeriodHours));
  if (r.failback) {
    steps.push(setProperty(g, "AutoFailbackType", r.failback.allowed ? 1 : 0));
    steps.push(setProperty(g, "FailbackWindowStart", r.failback.windowStartHour ?? -1));
    steps.push(setProperty(g, "FailbackWindowEnd", r.failback.windowEndHour ?? -1));
  }
  // AntiAffinityClassNames takes a StringCollection (documented form).
  steps.push(raw("$a = New-Object -TypeName 'System.Collections.Specialized.StringCollection'"));
  for (const n of r.antiAffinityClassNames) steps.push(quiet(raw(`$a.Add(${literal(n)})`)));
  steps.push(raw("$g.AntiAffinityClassNames = $a"));
  // -Owners is mandatory and PowerShell refuses an empty collection for it: with no preferred
  // owners the command is left out (any node may own the role), never sent with `@()`.
  if (r.preferredOwners.length)
    steps.push(cmd("Set-ClusterOwnerNode", { Cluster: cluster, Group: group, Owners: r.preferredOwners }));
  return statements(...steps);
}

/** Whether the group exists (list + filter: absence is an empty list, never an error). */
export function readGroup(cluster: string, group: string): Raw {
  return emitJson(
    hashtable({
      group: array(
        pipe(
          cmd("Get-ClusterGroup", { Cluster: cluster }),
          raw(`Where-Object -Property 'Name' -EQ -Value ${literal(group)}`),
          select(
            "Name",
            "Priority",
            "AutoFailbackType",
            "FailbackWindowStart",
            "FailbackWindowEnd",
            "FailoverThreshold",
            "FailoverPeriod",
            calculated("AntiAffinityClassNames", "@($_.AntiAffinityClassNames)"),
            calculated("OwnerNode", "$_.OwnerNode.Name"),
            calculated("State", "$_.State.ToString()"),
          ),
        ),
      ),
    }),
  );
}

export const groupResult = z.object({
  group: list(
    z.object({
      Name: z.string(),
      Priority: z.number(),
      AutoFailbackType: z.number(),
      FailbackWindowStart: z.number(),
      FailbackWindowEnd: z.number(),
      FailoverThreshold: z.number(),
      FailoverPeriod: z.number(),
      AntiAffinityClassNames: list(z.string()),
      OwnerNode: optString,
      State: optString,
    }),
  ),
});
export type GroupResult = z.output<typeof groupResult>["group"][number];

export function readDetails(cluster: string, group: string, vm: string): Raw {
  return emitJson(
    hashtable({
      owners: array(
        pipe(
          raw(`(${cmd("Get-ClusterOwnerNode", { Cluster: cluster, Group: group }).text}).OwnerNodes`),
          raw("ForEach-Object { $_.Name }"),
        ),
      ),
      monitored: array(
        pipe(
          cmd("Get-ClusterVMMonitoredItem", { Cluster: cluster, VirtualMachine: vm }),
          select("Name", "Type", "EventLog", "EventSource", "EventId"),
        ),
      ),
      vm: array(
        pipe(cmd("Get-ClusterGroup", { Cluster: cluster, Name: group }), raw("Get-VM"), select("Name", "Id")),
      ),
    }),
  );
}

export const detailsResult = z.object({
  owners: list(z.string()),
  monitored: list(
    z.object({
      Name: z.string(),
      Type: z.string(),
      EventLog: optString,
      EventSource: optString,
      EventId: z.number().nullish(),
    }),
  ),
  vm: list(z.object({ Name: z.string(), Id: z.string() })),
});

export interface MonitoredEvent {
  log: string;
  source: string;
  eventId: number;
}

export function addMonitoredServices(cluster: string, vm: string, services: string[]): Raw {
  return quiet(
    cmd("Add-ClusterVMMonitoredItem", { Cluster: cluster, VirtualMachine: vm, Service: services }),
  );
}

export function removeMonitoredServices(cluster: string, vm: string, services: string[]): Raw {
  return quiet(
    cmd("Remove-ClusterVMMonitoredItem", { Cluster: cluster, VirtualMachine: vm, Service: services }),
  );
}

export function addMonitoredEvent(cluster: string, vm: string, e: MonitoredEvent): Raw {
  return quiet(
    cmd("Add-ClusterVMMonitoredItem", {
      Cluster: cluster,
      VirtualMachine: vm,
      EventLog: e.log,
      EventSource: e.source,
      EventId: e.eventId,
    }),
  );
}

export function removeMonitoredEvent(cluster: string, vm: string, e: MonitoredEvent): Raw {
  return quiet(
    cmd("Remove-ClusterVMMonitoredItem", {
      Cluster: cluster,
      VirtualMachine: vm,
      EventLog: e.log,
      EventSource: e.source,
      EventId: e.eventId,
    }),
  );
}

export function removeRole(cluster: string, group: string): Raw {
  return quiet(
    cmd("Remove-ClusterGroup", { Cluster: cluster, Name: group, RemoveResources: sw(), Force: sw() }),
  );
}

/**
 * The priority's name; a number vmha does not name (set outside vmha, or a newer WSFC's) reads as
 * `unknown:<n>`, so it shows as drift instead of reading as "Medium" (review finding 16).
 */
export function priorityName(n: number): keyof typeof PRIORITIES | UnknownLive {
  const hit = (Object.entries(PRIORITIES) as Array<[keyof typeof PRIORITIES, number]>).find(
    ([, v]) => v === n,
  );
  return hit?.[0] ?? unknownLive(n);
}
