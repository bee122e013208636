import { findCluster, nodeKey, nodeObject, pickNode } from "./cmdlets-cluster";
import type { Cmdlet } from "./interp";
import type { Cluster, Group } from "./state";
import { invalid, notFound, obj, PsEnum, PsError, PsObject, StringCollection, toText } from "./values";

const GROUP_STATES: Record<string, number> = {
  Online: 0,
  Offline: 1,
  Failed: 2,
  PartialOnline: 3,
  Pending: 4,
};

function groupKey(c: Cluster, name: string): string {
  if (!c.groups[name]) throw notFound("Cluster group", name);
  return name;
}

function uint(prop: string, min: number, max: number) {
  return (v: unknown): number => {
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
      throw invalid(`The value ${toText(v)} is not valid for ${prop} (${min}-${max}).`, prop);
    }
    return v;
  };
}

function groupObject(c: Cluster, name: string): PsObject {
  const g = c.groups[name]!;
  const o = new PsObject("Microsoft.FailoverClusters.PowerShell.ClusterGroup")
    .value("Name", name)
    .prop("OwnerNode", () => nodeObject(c, g.ownerNode))
    .prop("State", () => new PsEnum("ClusterGroupState", g.state, GROUP_STATES[g.state] ?? -1))
    .value("GroupType", new PsEnum("GroupType", "VirtualMachine", 111));
  const settable: Array<[string, keyof Group, (v: unknown) => number]> = [
    [
      "Priority",
      "priority",
      (v) => {
        const n = uint("Priority", 0, 3000)(v);
        if (n % 1000 !== 0)
          throw invalid(`The value ${n} is not valid for Priority (0, 1000, 2000, 3000).`, name);
        return n;
      },
    ],
    ["AutoFailbackType", "autoFailbackType", uint("AutoFailbackType", 0, 1)],
    ["FailbackWindowStart", "failbackWindowStart", uint("FailbackWindowStart", -1, 23)],
    ["FailbackWindowEnd", "failbackWindowEnd", uint("FailbackWindowEnd", -1, 23)],
    ["FailoverThreshold", "failoverThreshold", uint("FailoverThreshold", 0, 4294967295)],
    ["FailoverPeriod", "failoverPeriod", uint("FailoverPeriod", 0, 1193)],
  ];
  for (const [prop, key, check] of settable) {
    o.prop(
      prop,
      () => g[key],
      (v) => {
        (g as unknown as Record<string, number>)[key] = check(v);
      },
    );
  }
  o.prop(
    "AntiAffinityClassNames",
    () => {
      const sc = new StringCollection();
      sc.items.push(...g.antiAffinityClassNames);
      return sc;
    },
    (v) => {
      if (!(v instanceof StringCollection))
        throw invalid("AntiAffinityClassNames must be a StringCollection.", name);
      g.antiAffinityClassNames = v.items.slice();
    },
  );
  return o;
}

function vmHost(
  c: Cluster,
  w: { machines: Record<string, { vms: Record<string, unknown> }> },
  vm: string,
): string | undefined {
  return Object.keys(c.nodes).find((n) => w.machines[n]?.vms[vm] !== undefined);
}

const addVmRole: Cmdlet = {
  params: { cluster: "string", vmname: "string", name: "string" },
  run(a, ctx) {
    const [, c] = findCluster(ctx.world, String(a["cluster"]));
    const vm = String(a["vmname"]);
    const name = String(a["name"] ?? vm);
    const host = vmHost(c, ctx.world, vm);
    if (!host) throw notFound(`Virtual machine on the nodes of the cluster:`, vm);
    if (Object.values(c.groups).some((g) => g.vm === vm) || c.groups[name]) {
      throw new PsError(`Virtual machine ${vm} is already clustered.`, {
        id: "AlreadyClustered",
        category: "ResourceExists",
        target: vm,
      });
    }
    c.groups[name] = {
      vm,
      ownerNode: host,
      state: "Online",
      priority: 2000,
      autoFailbackType: 0,
      failbackWindowStart: -1,
      failbackWindowEnd: -1,
      failoverThreshold: 4294967295,
      failoverPeriod: 6,
      antiAffinityClassNames: [],
      preferredOwners: [],
      monitored: [],
    };
    return [groupObject(c, name)];
  },
};

const getGroup: Cmdlet = {
  params: { cluster: "string", name: "string" },
  run(a, ctx) {
    const [, c] = findCluster(ctx.world, String(a["cluster"]));
    if (a["name"] !== undefined) return [groupObject(c, groupKey(c, String(a["name"])))];
    return Object.keys(c.groups).map((g) => groupObject(c, g));
  },
};

const removeGroup: Cmdlet = {
  params: { cluster: "string", name: "string", removeresources: "switch", force: "switch" },
  run(a, ctx) {
    const [, c] = findCluster(ctx.world, String(a["cluster"]));
    const n = groupKey(c, String(a["name"]));
    if (a["force"] !== true) throw invalid("Remove-ClusterGroup needs -Force when not run interactively.", n);
    if (a["removeresources"] !== true)
      throw invalid(`Group ${n} still holds resources; use -RemoveResources.`, n);
    delete c.groups[n];
    return [];
  },
};

const moveGroup: Cmdlet = {
  params: { cluster: "string", name: "string", node: "string", migrationtype: "string" },
  run(a, ctx) {
    const [, c] = findCluster(ctx.world, String(a["cluster"]));
    const n = groupKey(c, String(a["name"]));
    const target =
      a["node"] === undefined ? pickNode(c, [], c.groups[n]!.ownerNode) : nodeKey(c, String(a["node"]));
    if (c.nodes[target]!.state !== "Up") throw invalid(`Node ${target} is not up.`, target);
    c.groups[n]!.ownerNode = target;
    return [groupObject(c, n)];
  },
};

const setOwners: Cmdlet = {
  params: { cluster: "string", group: "string", owners: "strings" },
  run(a, ctx) {
    const [, c] = findCluster(ctx.world, String(a["cluster"]));
    const n = groupKey(c, String(a["group"]));
    const owners = a["owners"] as string[];
    // -Owners is mandatory and validated non-empty, as in FailoverClusters: `-Owners @()` fails.
    if (!owners.length) {
      throw new PsError(
        "Cannot validate argument on parameter 'Owners'. The argument is null, empty, or an element of the argument collection contains a null value.",
        {
          id: "ParameterArgumentValidationError,Microsoft.FailoverClusters.PowerShell.SetClusterOwnerNodeCommand",
          category: "InvalidData",
          target: "Owners",
        },
      );
    }
    c.groups[n]!.preferredOwners = owners.map((o) => nodeKey(c, o));
    return [];
  },
};

const getOwners: Cmdlet = {
  params: { cluster: "string", group: "string" },
  run(a, ctx) {
    const [, c] = findCluster(ctx.world, String(a["cluster"]));
    const n = groupKey(c, String(a["group"]));
    return [
      obj("Microsoft.FailoverClusters.PowerShell.ClusterOwnerNodeList", {
        ClusterObject: n,
        OwnerNodes: c.groups[n]!.preferredOwners.map((o) => nodeObject(c, o)),
      }),
    ];
  },
};

function groupOfVm(c: Cluster, vm: string): Group {
  const g = Object.values(c.groups).find((x) => x.vm === vm);
  if (!g) throw notFound("Clustered virtual machine", vm);
  return g;
}

const monitorParams = {
  cluster: "string",
  virtualmachine: "string",
  service: "strings",
  eventlog: "string",
  eventsource: "string",
  eventid: "int",
} as const;

const addMonitored: Cmdlet = {
  params: { ...monitorParams },
  run(a, ctx) {
    const [, c] = findCluster(ctx.world, String(a["cluster"]));
    const g = groupOfVm(c, String(a["virtualmachine"]));
    if (a["service"]) {
      for (const s of a["service"] as string[]) {
        if (g.monitored.some((m) => m.type === "Service" && m.name.toLowerCase() === s.toLowerCase())) {
          throw invalid(`Service ${s} is already monitored.`, s);
        }
        g.monitored.push({ type: "Service", name: s });
      }
    } else {
      if (a["eventlog"] === undefined || a["eventsource"] === undefined || a["eventid"] === undefined) {
        throw invalid("Monitoring an event needs -EventLog, -EventSource and -EventId.");
      }
      const log = String(a["eventlog"]);
      const source = String(a["eventsource"]);
      const id = a["eventid"] as number;
      g.monitored.push({
        type: "Event",
        name: `${log},${source},${id}`,
        eventLog: log,
        eventSource: source,
        eventId: id,
      });
    }
    return [];
  },
};

const getMonitored: Cmdlet = {
  params: { cluster: "string", virtualmachine: "string" },
  run(a, ctx) {
    const [, c] = findCluster(ctx.world, String(a["cluster"]));
    const g = groupOfVm(c, String(a["virtualmachine"]));
    return g.monitored.map((m) =>
      obj("Microsoft.FailoverClusters.PowerShell.ClusterVMMonitoredItem", {
        Name: m.name,
        Type: m.type,
        EventLog: m.eventLog ?? null,
        EventSource: m.eventSource ?? null,
        EventId: m.eventId ?? null,
      }),
    );
  },
};

const removeMonitored: Cmdlet = {
  params: { ...monitorParams },
  run(a, ctx) {
    const [, c] = findCluster(ctx.world, String(a["cluster"]));
    const g = groupOfVm(c, String(a["virtualmachine"]));
    const before = g.monitored.length;
    if (a["service"]) {
      const names = (a["service"] as string[]).map((s) => s.toLowerCase());
      g.monitored = g.monitored.filter(
        (m) => !(m.type === "Service" && names.includes(m.name.toLowerCase())),
      );
    } else {
      g.monitored = g.monitored.filter(
        (m) =>
          !(
            m.type === "Event" &&
            m.eventLog === a["eventlog"] &&
            m.eventSource === a["eventsource"] &&
            m.eventId === a["eventid"]
          ),
      );
    }
    if (g.monitored.length === before)
      throw notFound("Monitored item", toText(a["service"] ?? a["eventsource"]));
    return [];
  },
};

export const roleCmdlets: Record<string, Cmdlet> = {
  "add-clustervirtualmachinerole": addVmRole,
  "get-clustergroup": getGroup,
  "remove-clustergroup": removeGroup,
  "move-clustergroup": moveGroup,
  "move-clustervirtualmachinerole": moveGroup,
  "set-clusterownernode": setOwners,
  "get-clusterownernode": getOwners,
  "add-clustervmmonitoreditem": addMonitored,
  "get-clustervmmonitoreditem": getMonitored,
  "remove-clustervmmonitoreditem": removeMonitored,
};
