// Scripts and result schemas for FailoverCluster (pure: Raw scripts in, zod-parsed data out).
import { z } from "zod";
import { list, optString, psEnum } from "../ps/parse";
import {
  array,
  cmd,
  emitJson,
  hashtable,
  literal,
  paren,
  pipe,
  quiet,
  type Raw,
  raw,
  secret,
  select,
  setProperty,
  statements,
  sw,
  variable,
} from "../ps/script";
import type { Heartbeat, Quorum } from "../resources/failover-cluster.schema";

export const FEATURE = "Failover-Clustering";

/** `{ n0: true, n1: false, … }`: is Failover-Clustering installed on each node? */
export function featureQuery(nodes: readonly string[]): Raw {
  const entries: Record<string, Raw> = {};
  nodes.forEach((n, i) => {
    entries[`n${i}`] = raw(
      `${paren(cmd("Get-WindowsFeature", { Name: FEATURE, ComputerName: n })).text}.Installed`,
    );
  });
  return emitJson(hashtable(entries));
}
export const featureResult = z.record(z.string(), z.boolean().nullable());

export function installFeature(node: string): Raw {
  const r = cmd("Install-WindowsFeature", {
    Name: FEATURE,
    ComputerName: node,
    IncludeManagementTools: sw(),
  });
  return statements(
    raw(`$r = ${r.text}`),
    emitJson(hashtable({ success: raw("$r.Success"), restart: raw("$r.RestartNeeded.ToString()") })),
  );
}
export const installResult = z.object({ success: z.boolean(), restart: z.string() });

export function testCluster(nodes: readonly string[]): Raw {
  return statements(
    raw(`$r = ${cmd("Test-Cluster", { Node: [...nodes], WarningVariable: raw("vmhaWarnings") }).text}`),
    emitJson(
      hashtable({
        report: raw("$r.FullName"),
        warnings: array(pipe(variable("vmhaWarnings"), raw("ForEach-Object { $_.Message }"))),
      }),
    ),
  );
}
export const testResult = z.object({ report: optString, warnings: list(z.string()) });

/** Test-Cluster reports through warnings; these patterns mark failed tests (not mere warnings). */
export function validationFailures(warnings: readonly string[]): string[] {
  return warnings
    .filter((w) => /\bfailed\b|ClusterNotApproved|\bnot approved\b/i.test(w))
    .map((w) => w.replace(/\s+/g, " ").trim());
}

export interface NewCluster {
  name: string;
  nodes: string[];
  staticAddresses: string[];
  ignoreNetworks: string[];
  noStorage: boolean;
}

export function newCluster(c: NewCluster): Raw {
  return quiet(
    cmd("New-Cluster", {
      Name: c.name,
      Node: c.nodes,
      StaticAddress: c.staticAddresses.length ? c.staticAddresses : undefined,
      IgnoreNetwork: c.ignoreNetworks.length ? c.ignoreNetworks : undefined,
      NoStorage: c.noStorage ? sw() : undefined,
    }),
  );
}

const HEARTBEAT_PROPS: Record<keyof Heartbeat, string> = {
  sameSubnetDelayMs: "SameSubnetDelay",
  sameSubnetThreshold: "SameSubnetThreshold",
  crossSubnetDelayMs: "CrossSubnetDelay",
  crossSubnetThreshold: "CrossSubnetThreshold",
};

/** Heartbeat settings are properties of the cluster object, set by assignment. */
export function setHeartbeat(cluster: string, hb: Heartbeat): Raw | undefined {
  const sets = Object.entries(HEARTBEAT_PROPS)
    .filter(([k]) => hb[k as keyof Heartbeat] !== undefined)
    .map(([k, prop]) => setProperty(variable("c"), prop, hb[k as keyof Heartbeat]!));
  if (!sets.length) return undefined;
  return statements(raw(`$c = ${cmd("Get-Cluster", { Name: cluster }).text}`), ...sets);
}

/** The secret the cloud witness script reads (see ExecOptions.secrets): never in the script text. */
export const WITNESS_KEY_SECRET = "cloudWitnessAccessKey";

export function setQuorum(cluster: string, q: Quorum): Raw {
  switch (q.type) {
    case "none":
      return quiet(cmd("Set-ClusterQuorum", { Cluster: cluster, NoWitness: sw() }));
    case "disk":
      return quiet(cmd("Set-ClusterQuorum", { Cluster: cluster, DiskWitness: q.disk }));
    case "fileShare":
      return quiet(cmd("Set-ClusterQuorum", { Cluster: cluster, FileShareWitness: q.path }));
    case "cloud":
      return quiet(
        cmd("Set-ClusterQuorum", {
          Cluster: cluster,
          CloudWitness: sw(),
          AccountName: q.accountName,
          AccessKey: secret(WITNESS_KEY_SECRET),
          Endpoint: q.endpoint,
        }),
      );
  }
}

export function readCluster(cluster: string): Raw {
  const c = literal(cluster);
  return statements(
    raw(`$c = ${cmd("Get-Cluster", { Name: cluster }).text}`),
    raw(`$q = ${cmd("Get-ClusterQuorum", { Cluster: cluster }).text}`),
    emitJson(
      hashtable({
        cluster: paren(
          pipe(
            variable("c"),
            select(
              "Name",
              "Id",
              "SameSubnetDelay",
              "SameSubnetThreshold",
              "CrossSubnetDelay",
              "CrossSubnetThreshold",
            ),
          ),
        ),
        nodes: array(pipe(cmd("Get-ClusterNode", { Cluster: cluster }), select("Name", "State"))),
        witnessName: raw("$q.QuorumResource.Name"),
        witnessType: raw("$q.QuorumResource.ResourceType.Name"),
        witnessParams: array(
          pipe(
            raw(`Get-ClusterResource -Cluster ${c}`),
            raw("Where-Object -Property 'Name' -EQ -Value $q.QuorumResource.Name"),
            raw("Get-ClusterParameter"),
            select("Name", "Value"),
          ),
        ),
      }),
    ),
  );
}

export const NODE_STATES = ["Up", "Down", "Paused", "Joining"] as const;
export const nodeState = psEnum(NODE_STATES, { 0: "Up", 1: "Down", 2: "Paused", 3: "Joining" });

export const clusterResult = z.object({
  cluster: z.object({
    Name: z.string(),
    Id: z.string(),
    SameSubnetDelay: z.number(),
    SameSubnetThreshold: z.number(),
    CrossSubnetDelay: z.number(),
    CrossSubnetThreshold: z.number(),
  }),
  nodes: list(z.object({ Name: z.string(), State: z.union([nodeState, z.string()]) })),
  witnessName: optString,
  witnessType: optString,
  // Values may be strings, numbers or $null (a method call on $null would fail, so no ToString() here).
  witnessParams: list(
    z.object({
      Name: z.string(),
      Value: z.unknown().transform((v) => (v === null || v === undefined ? null : String(v))),
    }),
  ),
});
export type ClusterResult = z.output<typeof clusterResult>;

/** The live quorum in the input's terms. */
export function liveQuorum(r: ClusterResult, desired?: Quorum): Quorum {
  const param = (n: string) => r.witnessParams.find((p) => p.Name === n)?.Value ?? undefined;
  switch (r.witnessType) {
    case undefined:
      return { type: "none" };
    case "Physical Disk":
      return { type: "disk", disk: r.witnessName ?? "" };
    case "File Share Witness":
      return { type: "fileShare", path: param("SharePath") ?? "" };
    case "Cloud Witness": {
      const endpoint = param("EndpointInfo");
      const keep = desired?.type === "cloud" && desired.endpoint !== undefined;
      return {
        type: "cloud",
        accountName: param("AccountName") ?? "",
        ...(keep || (endpoint && endpoint !== "core.windows.net") ? { endpoint } : {}),
      };
    }
    default:
      return { type: "none" };
  }
}

/** Heartbeat values for the fields the user manages. */
export function liveHeartbeat(r: ClusterResult, managed: Heartbeat): Heartbeat {
  const live: Required<Heartbeat> = {
    sameSubnetDelayMs: r.cluster.SameSubnetDelay,
    sameSubnetThreshold: r.cluster.SameSubnetThreshold,
    crossSubnetDelayMs: r.cluster.CrossSubnetDelay,
    crossSubnetThreshold: r.cluster.CrossSubnetThreshold,
  };
  const out: Heartbeat = {};
  for (const k of Object.keys(managed) as Array<keyof Heartbeat>)
    if (managed[k] !== undefined) out[k] = live[k];
  return out;
}

/**
 * Live membership in the order the user wrote it. Nodes that are Paused or Down (patching, a
 * failure) are still members: their state is not drift, only joining or eviction is.
 */
export function liveNodes(r: ClusterResult, desired: readonly string[]): string[] {
  const live = r.nodes.map((n) => n.Name);
  const short = (s: string) => s.split(".")[0]!.toLowerCase();
  const kept = desired.filter((d) => live.some((l) => short(l) === short(d)));
  const extra = live.filter((l) => !desired.some((d) => short(d) === short(l)));
  return [...kept, ...extra];
}

export function addNodes(cluster: string, nodes: readonly string[]): Raw {
  return quiet(cmd("Add-ClusterNode", { Cluster: cluster, Name: [...nodes] }));
}

export function removeNode(cluster: string, node: string): Raw {
  return quiet(cmd("Remove-ClusterNode", { Cluster: cluster, Name: node, Force: sw() }));
}

export function removeCluster(cluster: string): Raw {
  return quiet(cmd("Remove-Cluster", { Cluster: cluster, Force: sw(), CleanupAD: sw() }));
}

/** Names of the VM roles a cluster still hosts (deleting the cluster would drop them all). */
export function vmRolesQuery(cluster: string): Raw {
  return emitJson(
    hashtable({
      roles: array(
        pipe(
          cmd("Get-ClusterGroup", { Cluster: cluster }),
          raw("Where-Object -Property 'GroupType' -EQ -Value 'VirtualMachine'"),
          raw("ForEach-Object { $_.Name }"),
        ),
      ),
    }),
  );
}
export const vmRolesResult = z.object({ roles: list(z.string()) });
