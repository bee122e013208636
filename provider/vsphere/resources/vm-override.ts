// VmOverride: one VM's HA settings in its cluster. Id: "<clusterId>:<vmId>".
import { TerminalError } from "../../core/errors";
import { defineResource, type OpContext } from "../../core/resource";
import * as inventory from "../client/inventory";
import { overrideToSettings, settingsToOverride } from "../mapping/override";
import { clusterHa, reconfigure, tryClusterHa, vim } from "./vim";
import { vmOverrideSchema } from "./vm-override.schema";

function parseId(id: string): { clusterId: string; vmId: string } {
  const [clusterId, vmId] = id.split(":");
  if (!clusterId || !vmId)
    throw new TerminalError(`VmOverride id ${JSON.stringify(id)} must read <clusterId>:<vmId>`);
  return { clusterId, vmId };
}

async function resolveVm(ctx: OpContext, spec: string) {
  const c = vim(ctx);
  const ref = await ctx.call(`find VM ${spec}`, (signal) => inventory.vm(c, undefined, spec, signal));
  const name = await ctx.call(`read VM ${ref.value}`, (signal) => inventory.objectName(c, ref, signal));
  return { ref, name };
}

export const definition = defineResource({
  ...vmOverrideSchema,
  async create(inputs, ctx) {
    const vm = await resolveVm(ctx, inputs.vm);
    const live = await clusterHa(ctx, inputs.clusterId);
    const exists = live.overrides.some((o) => o.key.value === vm.ref.value);
    if (exists && !inputs.adopt) {
      throw new TerminalError(
        `VM ${vm.name} (${vm.ref.value}) already has an HA override in cluster ${live.name} (${inputs.clusterId}), made outside this stack; set adopt: true to take it over, or declare only one VmOverride per VM`,
      );
    }
    await reconfigure(
      ctx,
      inputs.clusterId,
      {
        dasVmConfigSpec: [
          { operation: exists ? "edit" : "add", vm: vm.ref, settings: overrideToSettings(inputs) },
        ],
      },
      `${exists ? "adopt" : "add"} HA override for VM ${vm.name}`,
    );
    return { id: `${inputs.clusterId}:${vm.ref.value}`, outputs: { vmId: vm.ref.value, vmName: vm.name } };
  },
  async read(id, current, ctx) {
    const { clusterId, vmId } = parseId(id);
    const live = await tryClusterHa(ctx, clusterId);
    const o = live?.overrides.find((x) => x.key.value === vmId);
    if (!o) return undefined;
    return {
      inputs: {
        ...settingsToOverride({ clusterId, vm: current.inputs.vm ?? vmId }, o.dasSettings),
        adopt: current.inputs.adopt ?? false,
      },
      outputs: { vmId, vmName: current.outputs.vmName ?? vmId },
    };
  },
  async update(id, olds, news, ctx) {
    const { clusterId, vmId } = parseId(id);
    await reconfigure(
      ctx,
      clusterId,
      {
        dasVmConfigSpec: [
          {
            operation: "edit",
            vm: { type: "VirtualMachine", value: vmId },
            settings: overrideToSettings(news),
          },
        ],
      },
      `edit HA override for VM ${olds.outputs.vmName ?? vmId}`,
    );
    return { vmId, vmName: olds.outputs.vmName ?? vmId };
  },
  async delete(id, state, ctx) {
    const { clusterId, vmId } = parseId(id);
    const live = await tryClusterHa(ctx, clusterId);
    if (!live?.overrides.some((o) => o.key.value === vmId)) return; // already gone
    await reconfigure(
      ctx,
      clusterId,
      { dasVmConfigSpec: [{ operation: "remove", vm: { type: "VirtualMachine", value: vmId } }] },
      `remove HA override for VM ${state.outputs.vmName ?? vmId}`,
    );
  },
});
