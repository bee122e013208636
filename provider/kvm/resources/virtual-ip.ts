import { entryDefinition } from "../resource-entry";
import { virtualIpSchema } from "./virtual-ip.schema";

export const definition = entryDefinition(virtualIpSchema, {
  label: "virtual IP",
  toSpec: (i) => ({
    kind: "ip",
    params: { ip: i.ip, cidr_netmask: String(i.cidrNetmask), ...(i.nic ? { nic: i.nic } : {}) },
    // An address needs no CPU or memory held back for failover.
    ...(i.reservation ? {} : { reservation: { cpu: 0, memoryMiB: 0 } }),
  }),
  fromSpec: (raw, current) => {
    const p = raw.params ?? {};
    return {
      // The zero reservation above is ours, not the program's.
      reservation: current.reservation ? raw.reservation : undefined,
      ip: p.ip,
      cidrNetmask: Number(p.cidr_netmask),
      nic: p.nic,
    };
  },
});
