// FailoverClusters cmdlets: validation, cluster lifecycle, nodes, quorum, heartbeat properties,
// resources and parameters.
import * as crypto from "node:crypto";
import { machine, machineName } from "./cmdlets-core";
import { type Cmdlet, member } from "./interp";
import type { Cluster, NodeState, World } from "./state";
import { invalid, notFound, obj, PsEnum, PsError, type PsObject, toText } from "./values";

const NODE_STATES: Record<NodeState, number> = { Up: 0, Down: 1, Paused: 2, Joining: 3 };

/** What a cluster name (or a node) that resolves but does not answer gives. */
function rpcUnavailable(name: string): PsError {
  return new PsError(`Failed to connect to cluster '${name}'. The RPC server is unavailable.`, {
    id: "ClusterCmdletException",
    category: "ConnectionError",
    target: name,
  });
}

export function findCluster(w: World, name: string): [string, Cluster] {
  const lower = name.toLowerCase();
  // A name that does not answer, whether its cluster is gone or only its name is offline.
  if ((w.staleClusterNames ?? []).some((n) => n.toLowerCase() === lower)) throw rpcUnavailable(name);
  for (const [k, c] of Object.entries(w.clusters)) {
    const byName = k.toLowerCase() === lower;
    if (byName || Object.keys(c.nodes).some((n) => n.toLowerCase() === lower)) {
      if (c.stopped) {
        if (byName) throw rpcUnavailable(name);
        throw new PsError(`The cluster service is not running on '${name}'.`, {
          id: "ClusterCmdletException",
          category: "InvalidOperation",
          target: name,
        });
      }
      return [k, c];
    }
  }
  throw new PsError(`The cluster '${name}' was not found or its cluster service is not running.`, {
    id: "ClusterCmdletException",
    category: "ObjectNotFound",
    target: name,
  });
}

export function nodeKey(c: Cluster, name: string): string {
  const k = Object.keys(c.nodes).find((n) => n.toLowerCase() === name.toLowerCase());
  if (!k) throw notFound("The cluster node", name);
  return k;
}

export function nodeObject(c: Cluster, name: string): PsObject {
  const s = c.nodes[name]!.state;
  return obj("Microsoft.FailoverClusters.PowerShell.ClusterNode", {
    Name: name,
    State: new PsEnum("ClusterNodeState", s, NODE_STATES[s]),
  });
}

function clusterObject(name: string, c: Cluster): PsObject {
  const o = obj("Microsoft.FailoverClusters.PowerShell.Cluster", { Name: name, Id: c.id });
  const ranges: Record<string, [keyof Cluster, number, number]> = {
    SameSubnetDelay: ["sameSubnetDelay", 250, 2000],
    SameSubnetThreshold: ["sameSubnetThreshold", 3, 120],
    CrossSubnetDelay: ["crossSubnetDelay", 250, 4000],
    CrossSubnetThreshold: ["crossSubnetThreshold", 3, 120],
  };
  for (const [prop, [key, min, max]] of Object.entries(ranges)) {
    o.prop(
      prop,
      () => c[key],
      (v) => {
        if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
          throw invalid(`The value ${toText(v)} for ${prop} is out of range (${min}-${max}).`, name);
        }
        (c as unknown as Record<string, number>)[key] = v;
      },
    );
  }
  return o;
}

/** A node that can host a role now: Up, preferring the given order. */
export function pickNode(c: Cluster, prefer: string[] = [], exclude?: string): string {
  const up = Object.keys(c.nodes).filter((n) => c.nodes[n]!.state === "Up" && n !== exclude);
  const chosen = prefer.find((p) => up.includes(p)) ?? up[0];
  if (!chosen) throw invalid("No cluster node is available to host the role.");
  return chosen;
}

const testCluster: Cmdlet = {
  params: { node: "strings", include: "strings", reportname: "string", cluster: "string" },
  run(a, ctx) {
    const nodes = (a["node"] as string[] | undefined) ?? [];
    for (const n of nodes) {
      const m = machine(ctx.world, n);
      if (!m.features.some((f) => f.toLowerCase() === "failover-clustering")) {
        throw invalid(`The Failover Clustering feature is not installed on node ${n}.`, n);
      }
    }
    const v = ctx.world.validation;
    for (const f of v.failures) ctx.warn(f);
    for (const f of v.warnings) ctx.warn(f);
    const result = v.failures.length
      ? "ClusterNotApproved"
      : v.warnings.length
        ? "ClusterConditionallyApproved"
        : "ClusterApproved";
    if (v.failures.length || v.warnings.length)
      ctx.warn(`Test Result:\r\n${result}\r\nTesting has completed.`);
    const path = `${a["reportname"] ?? "C:\\Windows\\Cluster\\Reports\\Validation Report"}.htm`;
    return [obj("System.IO.FileInfo", { FullName: path, Name: path.split("\\").pop() })];
  },
};

const newCluster: Cmdlet = {
  params: {
    name: "string",
    node: "strings",
    staticaddress: "strings",
    ignorenetwork: "strings",
    nostorage: "switch",
    force: "switch",
  },
  run(a, ctx) {
    const w = ctx.world;
    const name = String(a["name"]);
    if (!/^[A-Za-z0-9-]{1,15}$/.test(name)) throw invalid(`'${name}' is not a valid cluster name.`, name);
    if (Object.keys(w.clusters).some((k) => k.toLowerCase() === name.toLowerCase())) {
      throw new PsError(`The cluster name '${name}' is already in use.`, {
        id: "ResourceExists",
        category: "ResourceExists",
        target: name,
      });
    }
    const nodes: Cluster["nodes"] = {};
    for (const n of a["node"] as string[]) {
      const m = machine(w, n);
      if (!m.features.some((f) => f.toLowerCase() === "failover-clustering")) {
        throw invalid(`The Failover Clustering feature is not installed on node ${n}.`, n);
      }
      for (const [cn, c] of Object.entries(w.clusters)) {
        if (Object.keys(c.nodes).some((x) => x.toLowerCase() === n.toLowerCase())) {
          throw invalid(`Node ${n} is already a member of cluster ${cn}.`, n);
        }
      }
      nodes[machineName(w, n)] = { state: "Up" };
    }
    w.clusters[name] = {
      id: crypto.randomUUID(),
      nodes,
      staticAddresses: (a["staticaddress"] as string[] | undefined) ?? [],
      ignoreNetworks: (a["ignorenetwork"] as string[] | undefined) ?? [],
      noStorage: a["nostorage"] === true,
      sameSubnetDelay: 1000,
      sameSubnetThreshold: 10,
      crossSubnetDelay: 1000,
      crossSubnetThreshold: 20,
      quorum: { type: "NoWitness", params: {} },
      virtualDisks: {},
      disks:
        a["nostorage"] === true
          ? {}
          : {
              // Shared disks every node sees, added to Available Storage by New-Cluster.
              "Cluster Disk 1": {
                source: "disk",
                csv: false,
                ownerNode: Object.keys(nodes)[0]!,
                sizeBytes: 500 * 2 ** 30,
              },
              "Cluster Disk 2": {
                source: "disk",
                csv: false,
                ownerNode: Object.keys(nodes)[0]!,
                sizeBytes: 2 ** 30,
              },
            },
      groups: {},
    };
    return [clusterObject(name, w.clusters[name]!)];
  },
};

const getCluster: Cmdlet = {
  params: { name: "string" },
  positional: ["name"],
  run(a, ctx) {
    const [name, c] = findCluster(ctx.world, String(a["name"]));
    return [clusterObject(name, c)];
  },
};

const removeCluster: Cmdlet = {
  params: { cluster: "string", force: "switch", cleanupad: "switch" },
  run(a, ctx) {
    const [name] = findCluster(ctx.world, String(a["cluster"]));
    if (a["force"] !== true) throw invalid("Remove-Cluster needs -Force when not run interactively.", name);
    // Like WSFC, this destroys the cluster with whatever roles it still has (the VMs stay on their hosts).
    delete ctx.world.clusters[name];
    return [];
  },
};

const getNode: Cmdlet = {
  params: { cluster: "string", name: "string" },
  run(a, ctx) {
    const [, c] = findCluster(ctx.world, String(a["cluster"]));
    if (a["name"] !== undefined) return [nodeObject(c, nodeKey(c, String(a["name"])))];
    return Object.keys(c.nodes).map((n) => nodeObject(c, n));
  },
};

const addNode: Cmdlet = {
  params: { cluster: "string", name: "strings" },
  run(a, ctx) {
    const [, c] = findCluster(ctx.world, String(a["cluster"]));
    for (const n of a["name"] as string[]) {
      const m = machine(ctx.world, n);
      if (!m.features.some((f) => f.toLowerCase() === "failover-clustering")) {
        throw invalid(`The Failover Clustering feature is not installed on node ${n}.`, n);
      }
      c.nodes[machineName(ctx.world, n)] = { state: "Up" };
    }
    return [];
  },
};

function evacuate(c: Cluster, node: string): void {
  for (const g of Object.values(c.groups)) {
    if (g.ownerNode === node) g.ownerNode = pickNode(c, g.preferredOwners, node);
  }
  for (const d of Object.values(c.disks)) if (d.ownerNode === node) d.ownerNode = pickNode(c, [], node);
}

const removeNode: Cmdlet = {
  params: { cluster: "string", name: "string", force: "switch" },
  run(a, ctx) {
    const [, c] = findCluster(ctx.world, String(a["cluster"]));
    const n = nodeKey(c, String(a["name"]));
    if (Object.keys(c.nodes).length === 1)
      throw invalid("Cannot evict the last node; remove the cluster instead.", n);
    evacuate(c, n);
    delete c.nodes[n];
    return [];
  },
};

function setNodeState(state: NodeState, move: boolean): Cmdlet {
  return {
    params: { cluster: "string", name: "string", drain: "switch", failback: "string", wait: "switch" },
    run(a, ctx) {
      const [, c] = findCluster(ctx.world, String(a["cluster"]));
      const n = nodeKey(c, String(a["name"]));
      c.nodes[n]!.state = state;
      if (move || a["drain"] === true) evacuate(c, n);
      return [nodeObject(c, n)];
    },
  };
}

// ---- quorum ----
function resourceObject(name: string, type: string, group: string): PsObject {
  return obj("Microsoft.FailoverClusters.PowerShell.ClusterResource", {
    Name: name,
    ResourceType: obj("ClusterResourceType", { Name: type }),
    OwnerGroup: group,
    State: new PsEnum("ClusterResourceState", "Online", 2),
  });
}

const WITNESS_TYPES: Record<string, string> = {
  Disk: "Physical Disk",
  FileShare: "File Share Witness",
  Cloud: "Cloud Witness",
};

const getQuorum: Cmdlet = {
  params: { cluster: "string" },
  run(a, ctx) {
    const [name, c] = findCluster(ctx.world, String(a["cluster"]));
    const q = c.quorum;
    return [
      obj("Microsoft.FailoverClusters.PowerShell.ClusterQuorumSettings", {
        Cluster: name,
        QuorumResource: q.resource
          ? resourceObject(q.resource, WITNESS_TYPES[q.type]!, "Cluster Group")
          : null,
      }),
    ];
  },
};

const setQuorum: Cmdlet = {
  params: {
    cluster: "string",
    nowitness: "switch",
    diskwitness: "string",
    filesharewitness: "string",
    cloudwitness: "switch",
    accountname: "string",
    accesskey: "string",
    endpoint: "string",
  },
  run(a, ctx) {
    const [name, c] = findCluster(ctx.world, String(a["cluster"]));
    const chosen = ["nowitness", "diskwitness", "filesharewitness", "cloudwitness"].filter(
      (k) => a[k] !== undefined,
    );
    if (chosen.length !== 1) throw invalid("Specify exactly one quorum witness option.", name);
    if (a["nowitness"] === true) c.quorum = { type: "NoWitness", params: {} };
    else if (typeof a["diskwitness"] === "string") {
      const disk = a["diskwitness"];
      const d = c.disks[disk];
      if (!d) throw notFound("Cluster disk", disk);
      if (d.csv) throw invalid(`Disk ${disk} is a Cluster Shared Volume and cannot be the witness.`, disk);
      c.quorum = { type: "Disk", resource: disk, params: {} };
    } else if (typeof a["filesharewitness"] === "string") {
      const share = a["filesharewitness"];
      if (!share.startsWith("\\\\")) throw invalid(`'${share}' is not a UNC path.`, share);
      c.quorum = { type: "FileShare", resource: "File Share Witness", params: { SharePath: share } };
    } else {
      if (!a["accountname"] || !a["accesskey"])
        throw invalid("A cloud witness needs -AccountName and -AccessKey.", name);
      c.quorum = {
        type: "Cloud",
        resource: "Cloud Witness",
        params: {
          AccountName: String(a["accountname"]),
          EndpointInfo: String(a["endpoint"] ?? "core.windows.net"),
          // The simulator keeps a hash, as WSFC keeps the key encrypted and never returns it.
          AccessKeySha256: crypto.createHash("sha256").update(String(a["accesskey"])).digest("hex"),
        },
      };
    }
    return [];
  },
};

const getResource: Cmdlet = {
  params: { cluster: "string", name: "string" },
  run(a, ctx) {
    const [, c] = findCluster(ctx.world, String(a["cluster"]));
    const all: PsObject[] = [];
    if (c.quorum.resource && c.quorum.type !== "Disk")
      all.push(resourceObject(c.quorum.resource, WITNESS_TYPES[c.quorum.type]!, "Cluster Group"));
    for (const [d, disk] of Object.entries(c.disks))
      if (!disk.csv) all.push(resourceObject(d, "Physical Disk", "Available Storage"));
    for (const [g, grp] of Object.entries(c.groups))
      all.push(resourceObject(`Virtual Machine ${grp.vm}`, "Virtual Machine", g));
    if (a["name"] === undefined) return all;
    const hit = all.filter((r) => toText(r.get("Name")) === a["name"]);
    if (!hit.length) throw notFound("Cluster resource", String(a["name"]));
    return hit;
  },
};

const removeResource: Cmdlet = {
  params: { cluster: "string", name: "string", force: "switch" },
  run(a, ctx) {
    const [, c] = findCluster(ctx.world, String(a["cluster"]));
    const name = String(a["name"]);
    const d = c.disks[name];
    if (!d) throw notFound("Cluster resource", name);
    if (d.csv)
      throw invalid(`Resource ${name} is a Cluster Shared Volume; remove it from the CSVs first.`, name);
    if (c.quorum.resource === name) throw invalid(`Resource ${name} is the quorum witness.`, name);
    delete c.disks[name];
    return [];
  },
};

const getParameter: Cmdlet = {
  params: { inputobject: "any", name: "strings", cluster: "string" },
  pipeline: "inputobject",
  run(a, ctx, input) {
    const out: PsObject[] = [];
    for (const res of input ?? [a["inputobject"]]) {
      const resName = toText(member(res, "Name"));
      for (const c of Object.values(ctx.world.clusters)) {
        if (c.quorum.resource !== resName) continue;
        for (const [k, v] of Object.entries(c.quorum.params)) {
          if (k === "AccessKeySha256") continue;
          if (!a["name"] || (a["name"] as string[]).includes(k))
            out.push(obj("ClusterParameter", { Name: k, Value: v }));
        }
      }
    }
    return out;
  },
};

export const clusterCmdlets: Record<string, Cmdlet> = {
  "test-cluster": testCluster,
  "new-cluster": newCluster,
  "get-cluster": getCluster,
  "remove-cluster": removeCluster,
  "get-clusternode": getNode,
  "add-clusternode": addNode,
  "remove-clusternode": removeNode,
  "suspend-clusternode": setNodeState("Paused", false),
  "resume-clusternode": setNodeState("Up", false),
  "stop-clusternode": setNodeState("Down", true),
  "start-clusternode": setNodeState("Up", false),
  "get-clusterquorum": getQuorum,
  "set-clusterquorum": setQuorum,
  "get-clusterresource": getResource,
  "remove-clusterresource": removeResource,
  "get-clusterparameter": getParameter,
};
