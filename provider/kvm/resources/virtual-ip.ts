import type { z } from "zod";
import { defineResource } from "../../core/resource";
import { commonFromEntry, entryOps, type RawEntry } from "../resource-entry";
import { virtualIpSchema } from "./virtual-ip.schema";

const ops = entryOps("virtual IP");
type Inputs = z.output<typeof virtualIpSchema.inputs>;

function specific(i: Inputs): RawEntry {
  const params: Record<string, string> = { ip: i.ip, cidr_netmask: String(i.cidrNetmask) };
  if (i.nic) params.nic = i.nic;
  // An address needs no CPU or memory held back for failover.
  return { kind: "ip", params, ...(i.reservation ? {} : { reservation: { cpu: 0, memoryMiB: 0 } }) };
}

export const definition = defineResource({
  ...virtualIpSchema,
  async validate(i, ctx) {
    const problem = await ops.validate(i, specific(i), ctx);
    return problem ? [{ property: "reservation", reason: problem }] : [];
  },
  async create(i, ctx) {
    return { id: `${i.cluster}/${i.name}`, outputs: await ops.write(i, specific(i), ctx, "create") };
  },
  async read(_id, current, ctx) {
    const r = await ops.read(current.inputs, ctx);
    if (!r) return undefined;
    const common = commonFromEntry(r.raw);
    if (!current.inputs.reservation) delete common.reservation;
    const p = r.raw.params ?? {};
    const inputs = virtualIpSchema.inputs.parse({
      cluster: current.inputs.cluster,
      etcd: current.inputs.etcd,
      name: current.inputs.name,
      ...common,
      ip: p.ip,
      cidrNetmask: Number(p.cidr_netmask),
      ...(p.nic ? { nic: p.nic } : {}),
    });
    return { inputs, outputs: r.observed };
  },
  async update(_id, _olds, news, ctx) {
    return ops.write(news, specific(news), ctx, "update");
  },
  async delete(_id, state, ctx) {
    await ops.remove(state.inputs, ctx);
  },
});
