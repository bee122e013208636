// HaSettings: the HA part of a cluster's dasConfig. One per cluster; its id is the cluster's id.
// Which resource manages it, and whether HA was on before vmha, is recorded on the cluster
// (ownership.ts), so renaming the resource or removing it never turns off HA it did not turn on.
import { containsUnknown } from "../../core/check";
import { TerminalError } from "../../core/errors";
import { defineResource, type OpContext } from "../../core/resource";
import { dasToHa, haToDas, sameMembers } from "../mapping/ha";
import { haWriteProblems } from "../mapping/verify";
import { type HaSettingsInputs, haSettingsSchema } from "./ha-settings.schema";
import { clearMarker, newOwnerToken, readMarker, writeMarker } from "./ownership";
import { clusterHa, reconfigure, tryClusterHa } from "./vim";

/** What the cluster had before any vmha HaSettings managed it. */
interface Before {
  enabled: boolean;
}

async function apply(inputs: HaSettingsInputs, ctx: OpContext) {
  const live = await clusterHa(ctx, inputs.clusterId);
  const das = haToDas(inputs, live.das.option ?? []);
  await reconfigure(ctx, inputs.clusterId, { dasConfig: das }, "HA settings");
  const problems = haWriteProblems(
    inputs,
    dasToHa(inputs.clusterId, (await clusterHa(ctx, inputs.clusterId)).das, inputs),
    das.option ?? [],
  );
  if (problems.length > 0) {
    throw new TerminalError(
      `HaSettings of cluster ${live.name} (${inputs.clusterId}): vCenter did not keep what vmha wrote: ${problems.join("; ")}. ` +
        "vmha writes with ReconfigureComputeResource_Task modify=true, where vCenter may leave an omitted list or an emptied option as it was; " +
        "set these in the vSphere Client (cluster > Configure > vSphere Availability > Edit), then run `pulumi up --refresh`",
    );
  }
  return live;
}

export const definition = defineResource({
  ...haSettingsSchema,
  /** Heartbeat datastores are a set to vCenter: reordering them in the program is no change. */
  ignoreDifferences(olds, news) {
    const o = olds.inputs.heartbeatDatastores;
    const n = news.heartbeatDatastores;
    if (!o || !n || containsUnknown(n) || o.policy !== n.policy) return [];
    return sameMembers(o.datastores, n.datastores) ? ["heartbeatDatastores"] : [];
  },
  async create(inputs, ctx) {
    const before = await clusterHa(ctx, inputs.clusterId);
    const mark = await readMarker<Before>(ctx, inputs.clusterId, "HaSettings");
    // Taking over from another vmha resource (a rename, a refactor): inherit what it found.
    const was: Before = mark?.before ?? { enabled: before.das.enabled ?? false };
    const owner = newOwnerToken();
    await writeMarker<Before>(ctx, inputs.clusterId, "HaSettings", { owner, before: was });
    const live = await apply(inputs, ctx);
    return { id: inputs.clusterId, outputs: { clusterName: live.name, owner, haEnabledBefore: was.enabled } };
  },
  async read(id, current, ctx) {
    const live = await tryClusterHa(ctx, id);
    if (!live) return undefined;
    return {
      inputs: dasToHa(id, live.das, current.inputs),
      outputs: { ...current.outputs, clusterName: live.name },
    };
  },
  async update(id, olds, news, ctx) {
    const owner = olds.outputs.owner ?? newOwnerToken();
    const was: Before = { enabled: olds.outputs.haEnabledBefore ?? false };
    const mark = await readMarker<Before>(ctx, id, "HaSettings");
    // State written before ownership was recorded: record it now.
    if (!mark) await writeMarker<Before>(ctx, id, "HaSettings", { owner, before: was });
    const live = await apply(news, ctx);
    return { clusterName: live.name, owner, haEnabledBefore: mark?.before?.enabled ?? was.enabled };
  },
  async delete(id, state, ctx) {
    if (!(await tryClusterHa(ctx, id))) return;
    const mark = await readMarker<Before>(ctx, id, "HaSettings");
    if (mark && mark.owner !== state.outputs.owner) {
      ctx.progress(
        `HA of cluster ${id} is managed by another vmha resource now (renamed or moved?): left as it is`,
      );
      return;
    }
    const was = mark?.before?.enabled ?? state.outputs.haEnabledBefore ?? false;
    if (was) {
      ctx.progress(`HA of cluster ${id} was on before vmha managed it: left on, with its current settings`);
    } else {
      // Deleting HaSettings turns vSphere HA off again; the cluster and its other settings stay.
      await reconfigure(ctx, id, { dasConfig: { enabled: false } }, "turn HA off");
    }
    await clearMarker(ctx, id, "HaSettings");
  },
});
