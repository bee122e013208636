// VmRole: the clustered VM role with its policy and VM monitoring. A role that failed over to
// another node is not drift: the owner node is live status, not configuration.

import type { z } from "zod";
import type { CheckFailure } from "../../core/errors";
import { TerminalError } from "../../core/errors";
import { defineResource, type OpContext } from "../../core/resource";
import { admit } from "../admission";
import { sameNames, sameSet } from "../order";
import { PowerShellError } from "../ps/errors";
import { admissionQuery, admissionResult } from "../scripts/admission";
import * as s from "../scripts/vm-role";
import { type Ps, psFor } from "../session";
import { vmRoleSchema } from "./vm-role.schema";

type Inputs = z.output<typeof vmRoleSchema.inputs>;
const groupOf = (i: Inputs) => i.roleName ?? i.vmName;
const eventKey = (e: s.MonitoredEvent) => `${e.log}\u0000${e.source}\u0000${e.eventId}`;

/** Admission control for this VM; `undefined` when it fits (or cannot be judged yet). */
async function refusal(i: Inputs, ctx: OpContext): Promise<string | undefined> {
  if (i.failuresToTolerate === undefined) return undefined;
  const ps = psFor(ctx);
  let data: z.output<typeof admissionResult>;
  try {
    data = await ps.query(
      `read memory of cluster '${i.cluster}' for VM '${i.vmName}'`,
      admissionQuery(i.cluster, i.vmName),
      admissionResult,
    );
  } catch (err) {
    if (err instanceof PowerShellError && err.notFound) return undefined; // The cluster does not exist yet.
    throw err;
  }
  const vm = data.candidate?.[0];
  if (!vm) return undefined; // Not on any node yet: create() fails with Add-ClusterVirtualMachineRole's own error.
  const a = admit({
    cluster: i.cluster,
    failuresToTolerate: i.failuresToTolerate,
    hosts: data.hosts.map((h) => ({ name: h.ComputerName, bytes: h.MemoryCapacity })),
    vms: data.vms.filter((v) => v.Name !== i.vmName).map((v) => ({ name: v.Name, bytes: v.MemoryStartup })),
    candidate: { name: vm.Name, bytes: vm.MemoryStartup },
  });
  if (a.ok) ctx.progress(`admission control: ${a.sentence}`);
  return a.ok ? undefined : a.reason;
}

/** Monitored items and preferred owners as they are live. */
type Current = { owners: string[]; services: string[]; events: s.MonitoredEvent[] };

async function syncMonitoring(ps: Ps, i: Inputs, current: Current): Promise<void> {
  const vm = i.vmName;
  const lower = (a: string[]) => a.map((x) => x.toLowerCase());
  const addS = i.monitoredServices.filter((x) => !lower(current.services).includes(x.toLowerCase()));
  const delS = current.services.filter((x) => !lower(i.monitoredServices).includes(x.toLowerCase()));
  // Adding or removing an item runs once; after a lost reply the live list decides.
  const live = async () => details(ps, i);
  const has = (list: string[], x: string) => lower(list).includes(x.toLowerCase());
  if (delS.length)
    await ps.exec(`stop monitoring services of VM '${vm}'`, s.removeMonitoredServices(i.cluster, vm, delS), {
      verify: async () => {
        const now = (await live()).services;
        return !delS.some((x) => has(now, x));
      },
    });
  if (addS.length)
    await ps.exec(
      `monitor services ${addS.join(", ")} of VM '${vm}'`,
      s.addMonitoredServices(i.cluster, vm, addS),
      {
        verify: async () => {
          const now = (await live()).services;
          return addS.every((x) => has(now, x));
        },
      },
    );
  const want = new Set(i.monitoredEvents.map(eventKey));
  const have = new Set(current.events.map(eventKey));
  const liveEvents = async () => new Set((await live()).events.map(eventKey));
  for (const e of current.events.filter((e) => !want.has(eventKey(e)))) {
    await ps.exec(
      `stop monitoring event ${e.log}/${e.source}/${e.eventId} of VM '${vm}'`,
      s.removeMonitoredEvent(i.cluster, vm, e),
      { verify: async () => !(await liveEvents()).has(eventKey(e)) },
    );
  }
  for (const e of i.monitoredEvents.filter((e) => !have.has(eventKey(e)))) {
    await ps.exec(
      `monitor event ${e.log}/${e.source}/${e.eventId} of VM '${vm}'`,
      s.addMonitoredEvent(i.cluster, vm, e),
      {
        verify: async () => (await liveEvents()).has(eventKey(e)),
      },
    );
  }
}

async function details(ps: Ps, i: Inputs) {
  const d = await ps.query(
    `read role '${groupOf(i)}' of cluster '${i.cluster}'`,
    s.readDetails(i.cluster, groupOf(i), i.vmName),
    s.detailsResult,
  );
  const services = d.monitored.filter((m) => m.Type === "Service").map((m) => m.Name);
  const events = d.monitored
    .filter((m) => m.Type === "Event")
    .map((m) => ({ log: m.EventLog ?? "", source: m.EventSource ?? "", eventId: m.EventId ?? 0 }));
  return { owners: d.owners, services, events, vmId: d.vm[0]?.Id ?? "" };
}

async function group(ps: Ps, i: Inputs): Promise<s.GroupResult | undefined> {
  try {
    const r = await ps.query(
      `find role '${groupOf(i)}' in cluster '${i.cluster}'`,
      s.readGroup(i.cluster, groupOf(i)),
      s.groupResult,
    );
    return r.group[0];
  } catch (err) {
    if (err instanceof PowerShellError && err.notFound) return undefined;
    throw err;
  }
}

async function apply(ps: Ps, i: Inputs, monitoring: Current) {
  if (!i.preferredOwners.length && monitoring.owners.length) {
    // Set-ClusterOwnerNode cannot clear the list (-Owners refuses an empty collection).
    throw new TerminalError(
      `VM role '${groupOf(i)}' of cluster '${i.cluster}': preferredOwners: the role has preferred owners ` +
        `(${monitoring.owners.join(", ")}) and vmha cannot clear them (Set-ClusterOwnerNode needs at least one node). ` +
        "List the owners you want, or clear them in Failover Cluster Manager (role > Properties > Preferred Owners) and run pulumi up --refresh",
    );
  }
  await ps.exec(
    `configure role '${groupOf(i)}' of cluster '${i.cluster}'`,
    s.applySettings(i.cluster, groupOf(i), i),
    {
      idempotent: true,
    },
  );
  await syncMonitoring(ps, i, monitoring);
  const d = await details(ps, i);
  return { groupName: groupOf(i), vmId: d.vmId };
}

export const definition = defineResource({
  ...vmRoleSchema,
  async validate(i, ctx): Promise<CheckFailure[]> {
    const reason = await refusal(i, ctx);
    return reason ? [{ property: "failuresToTolerate", reason }] : [];
  },
  async create(i, ctx) {
    const reason = await refusal(i, ctx);
    if (reason) throw new TerminalError(`VM role '${groupOf(i)}': ${reason}`);
    const ps = psFor(ctx);
    const existing = await group(ps, i);
    if (existing && !i.adopt) {
      throw new TerminalError(
        `cluster '${i.cluster}' already has a role '${groupOf(i)}'; set adopt: true to manage it`,
      );
    }
    if (!existing)
      // Runs at most once: after a timeout or lost reply, the role's presence decides (finding 3).
      await ps.exec(
        `make VM '${i.vmName}' highly available in cluster '${i.cluster}'`,
        s.addRole(i.cluster, i.vmName, groupOf(i)),
        {
          timeoutMs: 900_000,
          verify: async () => (await group(ps, i)) !== undefined,
          ifUnknown: `if role '${groupOf(i)}' exists now, set adopt: true on this VmRole`,
        },
      );
    const monitoring: Current = existing ? await details(ps, i) : { owners: [], services: [], events: [] };
    return { id: groupOf(i), outputs: await apply(ps, i, monitoring), adopted: Boolean(existing) };
  },
  async read(id, current, ctx) {
    const i = current.inputs;
    const ps = psFor(ctx);
    const g = await group(ps, { ...i, roleName: id });
    if (!g) return undefined;
    const d = await details(ps, { ...i, roleName: id });
    const inputs: Inputs = {
      ...i,
      // Outside the input type on purpose: an unnamed live value must read as drift.
      priority: s.priorityName(g.Priority) as Inputs["priority"],
      preferredOwners: sameNames(d.owners, i.preferredOwners),
      antiAffinityClassNames: sameSet(g.AntiAffinityClassNames, i.antiAffinityClassNames),
      monitoredServices: sameSet(d.services, i.monitoredServices),
      monitoredEvents: sameSet(d.events, i.monitoredEvents),
    };
    if (i.failoverThreshold !== undefined) inputs.failoverThreshold = g.FailoverThreshold;
    if (i.failoverPeriodHours !== undefined) inputs.failoverPeriodHours = g.FailoverPeriod;
    if (i.failback !== undefined) {
      inputs.failback = { allowed: g.AutoFailbackType === 1 };
      if (g.FailbackWindowStart >= 0) inputs.failback.windowStartHour = g.FailbackWindowStart;
      if (g.FailbackWindowEnd >= 0) inputs.failback.windowEndHour = g.FailbackWindowEnd;
    }
    if (g.OwnerNode && g.State) ctx.progress(`role '${id}' is ${g.State} on ${g.OwnerNode}`);
    return { inputs, outputs: { groupName: g.Name, vmId: d.vmId } };
  },
  async update(_id, _olds, news, ctx) {
    const ps = psFor(ctx);
    // Monitored items as they are live (the stored list may predate a change made outside Pulumi).
    return apply(ps, news, await details(ps, news));
  },
  async delete(id, state, ctx) {
    const ps = psFor(ctx);
    if (!(await group(ps, { ...state.inputs, roleName: id }))) return;
    await ps.exec(
      `remove role '${id}' from cluster '${state.inputs.cluster}' (the VM itself stays)`,
      s.removeRole(state.inputs.cluster, id),
      {
        timeoutMs: 900_000,
        verify: async () => (await group(ps, { ...state.inputs, roleName: id })) === undefined,
      },
    );
  },
});
