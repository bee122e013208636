// HaSettings: the HA part of a cluster's dasConfig. One per cluster; its id is the cluster's id.
import { defineResource, type OpContext } from "../../core/resource";
import { dasToHa, haToDas } from "../mapping/ha";
import { type HaSettingsInputs, haSettingsSchema } from "./ha-settings.schema";
import { clusterHa, reconfigure, tryClusterHa } from "./vim";

async function apply(inputs: HaSettingsInputs, ctx: OpContext) {
  const live = await clusterHa(ctx, inputs.clusterId);
  await reconfigure(
    ctx,
    inputs.clusterId,
    { dasConfig: haToDas(inputs, live.das.option ?? []) },
    "HA settings",
  );
  return { clusterName: live.name };
}

export const definition = defineResource({
  ...haSettingsSchema,
  async create(inputs, ctx) {
    return { id: inputs.clusterId, outputs: await apply(inputs, ctx) };
  },
  async read(id, _current, ctx) {
    const live = await tryClusterHa(ctx, id);
    if (!live) return undefined;
    return { inputs: dasToHa(id, live.das), outputs: { clusterName: live.name } };
  },
  async update(_id, _olds, news, ctx) {
    return apply(news, ctx);
  },
  async delete(id, _state, ctx) {
    // Deleting HaSettings turns vSphere HA off; the cluster and its other settings stay.
    if (!(await tryClusterHa(ctx, id))) return;
    await reconfigure(ctx, id, { dasConfig: { enabled: false } }, "turn HA off");
  },
});
