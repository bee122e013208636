// FailoverCluster: Install-WindowsFeature on nodes that lack it, Test-Cluster (refusing failed
// validation), New-Cluster, quorum witness, heartbeat properties; nodes join and leave in place.

import type { CheckFailure } from "../../core/errors";
import { errorMessage, TerminalError } from "../../core/errors";
import { defineResource, type OpContext, type State } from "../../core/resource";
import { ONCE } from "../../core/retry";
import { admit } from "../admission";
import { clusterVerdict, membershipQuery, membershipResult } from "../membership";
import { sameName } from "../order";
import { PowerShellError, TransientPowerShellError } from "../ps/errors";
import { admissionQuery, admissionResult } from "../scripts/admission";
import * as s from "../scripts/cluster";
import { type Ps, psFor } from "../session";
import { type FailoverClusterInputs, failoverClusterSchema } from "./failover-cluster.schema";

type Outputs = {
  clusterId: string;
  validationReport: string;
  validationWarnings: string[];
  featureInstalledOn: string[];
};

async function ensureFeature(ps: Ps, name: string, nodes: string[], install: boolean): Promise<string[]> {
  if (!nodes.length) return [];
  const have = await ps.query(
    `check ${s.FEATURE} on the nodes of cluster '${name}'`,
    s.featureQuery(nodes),
    s.featureResult,
  );
  const missing = nodes.filter((_, i) => have[`n${i}`] !== true);
  if (missing.length && !install) {
    throw new TerminalError(
      `cluster '${name}': ${s.FEATURE} is not installed on ${missing.join(", ")}; install it or set installFeature: true`,
    );
  }
  for (const n of missing) {
    const r = await ps.query(`install ${s.FEATURE} on '${n}'`, s.installFeature(n), s.installResult, 900_000);
    if (!r.success)
      throw new TerminalError(`cluster '${name}': installing ${s.FEATURE} on ${n} did not succeed`);
    if (r.restart === "Yes") {
      throw new TerminalError(
        `cluster '${name}': ${s.FEATURE} was installed on ${n} but the node must restart before it can join; restart it and run pulumi up again`,
      );
    }
  }
  return missing;
}

async function validateNodes(
  ps: Ps,
  name: string,
  nodes: string[],
): Promise<{ report: string; warnings: string[] }> {
  const r = await ps.query(
    `validate nodes ${nodes.join(", ")} for cluster '${name}' (Test-Cluster)`,
    s.testCluster(nodes),
    s.testResult,
    1_800_000,
  );
  const failed = s.validationFailures(r.warnings);
  if (failed.length) {
    throw new TerminalError(
      `cluster '${name}': Test-Cluster reported failures, refusing to continue:\n  - ${failed.join("\n  - ")}\n` +
        `  report: ${r.report ?? "(none)"}\n  fix the nodes, or set runValidation: false to skip validation (not supported by Microsoft)`,
    );
  }
  return { report: r.report ?? "", warnings: r.warnings };
}

async function applySettings(ps: Ps, i: FailoverClusterInputs, old?: FailoverClusterInputs): Promise<void> {
  if (i.heartbeat) {
    const hb = s.setHeartbeat(i.name, i.heartbeat);
    if (hb) await ps.exec(`set heartbeat settings of cluster '${i.name}'`, hb, { idempotent: true });
  }
  const quorumChanged =
    JSON.stringify(i.quorum) !== JSON.stringify(old?.quorum) ||
    i.cloudWitnessAccessKey !== old?.cloudWitnessAccessKey;
  if (i.quorum && quorumChanged) {
    await ps.exec(
      `set the quorum witness of cluster '${i.name}' (${i.quorum.type})`,
      s.setQuorum(i.name, i.quorum),
      {
        idempotent: true,
        secrets:
          i.quorum.type === "cloud" ? { [s.WITNESS_KEY_SECRET]: i.cloudWitnessAccessKey ?? "" } : undefined,
      },
    );
  }
}

async function clusterId(ps: Ps, name: string): Promise<string> {
  const r = await ps.query(`read cluster '${name}'`, s.readCluster(name), s.clusterResult);
  return r.cluster.Id;
}

/** The cluster as it is now, or undefined when there is none of that name. */
async function tryCluster(ps: Ps, name: string): Promise<s.ClusterResult | undefined> {
  try {
    return await ps.query(`read cluster '${name}'`, s.readCluster(name), s.clusterResult);
  } catch (err) {
    if (err instanceof PowerShellError && err.notFound) return undefined;
    throw err;
  }
}

/**
 * The cluster for refresh, or undefined when it was deleted: "not found" by its name, or its name
 * no longer answers while its nodes say they are in no cluster (or another one). Any other
 * failure is read again with the usual retries and, if it persists, reported with what the nodes
 * said.
 */
async function readOrGone(
  ps: Ps,
  name: string,
  clusterId: string | undefined,
  nodes: readonly string[],
  ctx: OpContext,
): Promise<s.ClusterResult | undefined> {
  const label = `read cluster '${name}'`;
  const notFound = (err: unknown) => err instanceof PowerShellError && err.notFound;
  try {
    return await ps.query(label, s.readCluster(name), s.clusterResult, undefined, ONCE);
  } catch (err) {
    if (notFound(err)) return undefined;
    const fromScript = err instanceof PowerShellError || err instanceof TransientPowerShellError;
    if (!fromScript || /check vmha:hypervUserName/.test(errorMessage(err)) || !nodes.length) throw err;
    // A failure of the question itself (the shell, the network) decides nothing.
    const verdict = await ps
      .query(
        `ask the nodes of cluster '${name}' which cluster they are in`,
        membershipQuery(nodes),
        membershipResult,
      )
      .then((m) => clusterVerdict(name, clusterId, nodes, m))
      .catch(() => ({
        gone: false,
        why: `cluster '${name}' does not answer by its name; its nodes could not be asked`,
      }));
    if (verdict.gone) {
      ctx.progress(verdict.why);
      return undefined;
    }
    try {
      return await ps.query(label, s.readCluster(name), s.clusterResult);
    } catch (again) {
      if (notFound(again)) return undefined;
      throw new TerminalError(
        `${errorMessage(again)}. ${verdict.why}. If the cluster was deleted on purpose, remove it from the ` +
          "stack (pulumi state delete <urn>); if it is stopped, start it (Start-Cluster), then refresh again",
        again,
      );
    }
  }
}

const members = (r: s.ClusterResult | undefined) => (r?.nodes ?? []).map((n) => short(n.Name));

const short = (n: string) => n.split(".")[0]!.toLowerCase();

async function checkAdmission(i: FailoverClusterInputs, ctx: OpContext): Promise<CheckFailure[]> {
  if (i.failuresToTolerate === undefined) return [];
  const ps = psFor(ctx);
  let data: Awaited<ReturnType<typeof ps.query<typeof admissionResult>>>;
  try {
    data = await ps.query(
      `read memory of cluster '${i.name}'`,
      admissionQuery(i.name, undefined, i.nodes),
      admissionResult,
    );
  } catch (err) {
    if (err instanceof PowerShellError && err.notFound) return []; // Not created yet: nothing runs on it.
    throw err;
  }
  const a = admit({
    cluster: i.name,
    failuresToTolerate: i.failuresToTolerate,
    hosts: data.hosts.map((h) => ({ name: h.ComputerName, bytes: h.MemoryCapacity })),
    vms: data.vms.map((v) => ({ name: v.Name, bytes: v.MemoryStartup })),
  });
  return a.ok
    ? []
    : [
        {
          property: a.reason.includes("node(s); it cannot") ? "nodes" : "failuresToTolerate",
          reason: a.reason,
        },
      ];
}

export const definition = defineResource({
  ...failoverClusterSchema,
  timeouts: { create: 3_600_000, update: 3_600_000, delete: 1_800_000 },
  async validate(inputs, ctx) {
    return checkAdmission(inputs, ctx);
  },
  async create(i, ctx) {
    const ps = psFor(ctx);
    let installed: string[] = [];
    let validation = { report: "", warnings: [] as string[] };
    if (i.adopt) {
      ctx.progress(`adopting existing cluster '${i.name}'`);
    } else {
      const existing = await tryCluster(ps, i.name);
      if (existing) {
        throw new TerminalError(
          `cluster '${i.name}' already exists (Id ${existing.cluster.Id}); set adopt: true on this FailoverCluster to manage it, or choose another name`,
        );
      }
      installed = await ensureFeature(ps, i.name, i.nodes, i.installFeature);
      if (i.runValidation) validation = await validateNodes(ps, i.name, i.nodes);
      // New-Cluster runs at most once: after a timeout or a lost reply (cluster creation changes
      // networking and DNS, WinRM often drops), read whether the cluster came up (finding 3).
      await ps.exec(`create cluster '${i.name}' on ${i.nodes.join(", ")}`, s.newCluster(i), {
        timeoutMs: 1_800_000,
        verify: async () => (await tryCluster(ps, i.name)) !== undefined,
        ifUnknown: `if cluster '${i.name}' exists now, set adopt: true on this FailoverCluster`,
      });
    }
    await applySettings(ps, i);
    const outputs: Outputs = {
      clusterId: await clusterId(ps, i.name),
      validationReport: validation.report,
      validationWarnings: validation.warnings,
      featureInstalledOn: installed,
    };
    return { id: i.name, outputs, adopted: i.adopt };
  },
  async read(id, current, ctx) {
    const ps = psFor(ctx);
    const r = await readOrGone(ps, id, current.outputs.clusterId, current.inputs.nodes ?? [], ctx);
    if (!r) return undefined;
    const inputs = {
      ...current.inputs,
      name: sameName(r.cluster.Name, current.inputs.name),
      nodes: s.liveNodes(r, current.inputs.nodes ?? []),
    };
    if (current.inputs.quorum) inputs.quorum = s.liveQuorum(r, current.inputs.quorum);
    if (current.inputs.heartbeat) inputs.heartbeat = s.liveHeartbeat(r, current.inputs.heartbeat);
    const paused = r.nodes.filter((n) => n.State !== "Up").map((n) => `${n.Name} ${n.State}`);
    if (paused.length)
      ctx.progress(`cluster '${id}': ${paused.join(", ")} (not drift: membership is unchanged)`);
    return { inputs, outputs: { ...current.outputs, clusterId: r.cluster.Id } } as State<
      typeof failoverClusterSchema.inputs,
      typeof failoverClusterSchema.outputs
    >;
  },
  async update(id, olds, news, ctx) {
    const ps = psFor(ctx);
    // Compare with the live membership, not the stored one: the state may predate a change made
    // outside Pulumi (up without --refresh).
    const live = (await ps.query(`read cluster '${id}'`, s.readCluster(id), s.clusterResult)).nodes.map(
      (n) => n.Name,
    );
    const added = news.nodes.filter((n) => !live.some((o) => short(o) === short(n)));
    const removed = live.filter((o) => !news.nodes.some((n) => short(n) === short(o)));
    let installed: string[] = [];
    if (added.length) {
      installed = await ensureFeature(ps, id, added, news.installFeature);
      if (news.runValidation) await validateNodes(ps, id, [...news.nodes]);
      await ps.exec(`add nodes ${added.join(", ")} to cluster '${id}'`, s.addNodes(id, added), {
        timeoutMs: 1_800_000,
        verify: async () => {
          const now = members(await tryCluster(ps, id));
          return added.every((n) => now.includes(short(n)));
        },
      });
    }
    for (const n of removed)
      await ps.exec(`evict node '${n}' from cluster '${id}'`, s.removeNode(id, n), {
        timeoutMs: 900_000,
        verify: async () => !members(await tryCluster(ps, id)).includes(short(n)),
      });
    await applySettings(ps, news, olds.inputs);
    return {
      ...(olds.outputs as Outputs),
      featureInstalledOn: [...(olds.outputs.featureInstalledOn ?? []), ...installed],
    };
  },
  async delete(id, _state, ctx) {
    const ps = psFor(ctx);
    try {
      // Remove-Cluster destroys every role with it; refuse while VM roles remain (the stack's own
      // VmRoles are deleted before the cluster, so these are roles made outside this stack).
      const { roles } = await ps.query(
        `list the VM roles of cluster '${id}'`,
        s.vmRolesQuery(id),
        s.vmRolesResult,
      );
      if (roles.length) {
        throw new TerminalError(
          `cluster '${id}' still hosts VM role(s) ${roles.map((r) => `'${r}'`).join(", ")}; removing the cluster would ` +
            "leave those VMs without failover. Remove the roles (Remove-ClusterGroup -RemoveResources) and run again",
        );
      }
      await ps.exec(`remove cluster '${id}'`, s.removeCluster(id), {
        timeoutMs: 1_800_000,
        verify: async () => (await tryCluster(ps, id)) === undefined,
      });
    } catch (err) {
      if (err instanceof PowerShellError && err.notFound) return;
      throw err;
    }
  },
});
