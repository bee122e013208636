// ClusterAwareUpdating: the CAU clustered role (self-updating mode) and its schedule.
import { TerminalError } from "../../core/errors";
import { defineResource } from "../../core/resource";
import { sameSet } from "../order";
import { PowerShellError } from "../ps/errors";
import * as s from "../scripts/cau";
import { type Ps, psFor } from "../session";
import { clusterAwareUpdatingSchema, type DAYS } from "./cluster-aware-updating.schema";

async function readLive(ps: Ps, cluster: string): Promise<s.LiveCau | undefined> {
  try {
    const r = await ps.query(`read the CAU role of cluster '${cluster}'`, s.readCau(cluster), s.cauResult);
    return r.pairs.length ? s.liveCau(r.pairs) : undefined;
  } catch (err) {
    if (err instanceof PowerShellError && err.notFound) return undefined;
    throw err;
  }
}

type Day = (typeof DAYS)[number];

export const definition = defineResource({
  ...clusterAwareUpdatingSchema,
  async create(i, ctx) {
    const ps = psFor(ctx);
    if (await readLive(ps, i.cluster)) {
      throw new TerminalError(
        `cluster '${i.cluster}' already has a CAU role; remove it (Remove-CauClusterRole) or manage it outside this stack`,
      );
    }
    // Runs at most once: after a timeout or lost reply, whether the role exists decides (finding 3).
    await ps.exec(`add the CAU role to cluster '${i.cluster}'`, s.addCau(i.cluster, i), {
      timeoutMs: 900_000,
      verify: async () => (await readLive(ps, i.cluster)) !== undefined,
    });
    const live = await readLive(ps, i.cluster);
    if (!live)
      throw new TerminalError(`cluster '${i.cluster}': the CAU role did not appear after Add-CauClusterRole`);
    return { id: i.cluster, outputs: { resourceGroupName: live.resourceGroupName } };
  },
  async read(id, current, ctx) {
    const live = await readLive(psFor(ctx), id);
    if (!live) return undefined;
    const i = current.inputs;
    const inputs = {
      ...i,
      daysOfWeek: sameSet(live.daysOfWeek as Day[], i.daysOfWeek),
      weeksOfMonth: sameSet(live.weeksOfMonth, i.weeksOfMonth),
      maxFailedNodes: live.maxFailedNodes,
      maxRetriesPerNode: live.maxRetriesPerNode,
      requireAllNodesOnline: live.requireAllNodesOnline,
    };
    if (i.startDate !== undefined && live.startDate && Date.parse(i.startDate) !== live.startDate.getTime()) {
      inputs.startDate = live.startDate.toISOString();
    }
    if (i.virtualComputerObjectName !== undefined && live.virtualComputerObjectName) {
      inputs.virtualComputerObjectName = live.virtualComputerObjectName;
    }
    return { inputs, outputs: { resourceGroupName: live.resourceGroupName } };
  },
  async update(id, _olds, news, ctx) {
    const ps = psFor(ctx);
    await ps.exec(`update the CAU schedule of cluster '${id}'`, s.setCau(id, news), { idempotent: true });
    const live = await readLive(ps, id);
    if (!live) throw new TerminalError(`cluster '${id}': the CAU role no longer exists`);
    return { resourceGroupName: live.resourceGroupName };
  },
  async delete(id, _state, ctx) {
    const ps = psFor(ctx);
    if (!(await readLive(ps, id))) return;
    await ps.exec(`remove the CAU role from cluster '${id}'`, s.removeCau(id), {
      timeoutMs: 900_000,
      verify: async () => (await readLive(ps, id)) === undefined,
    });
  },
});
