// kvm.VirtualIp: `pcs resource create virtual_ip ocf:heartbeat:IPaddr2 ip=… cidr_netmask=… op
// monitor interval=10s`, run by the same OCF agent Pacemaker uses.
import { isIP } from "node:net";
import { z } from "zod";
import { defineSchema } from "../../core/resource";
import { entryShape, ObservedSchema } from "../resource-entry.schema";

export const virtualIpSchema = defineSchema({
  key: "kvm:VirtualIp",
  module: "provider/kvm/resources/virtual-ip",
  description: "A floating IP address (ocf:heartbeat:IPaddr2) kept up on one host of the cluster.",
  inputs: z.strictObject({
    ...entryShape,
    ip: z.string().refine((v) => isIP(v) !== 0, "must be an IPv4 or IPv6 address"),
    cidrNetmask: z.number().int().min(1).max(128),
    nic: z
      .string()
      .regex(/^[A-Za-z0-9_.:-]{1,15}$/, "must be a network interface name")
      .optional(),
  }),
  outputs: ObservedSchema,
  replaceOn: ["cluster", "name"],
  deleteBeforeReplace: true,
  secretInputs: ["etcd"],
  nameField: "name",
});
