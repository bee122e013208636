import { virtualIpSchema } from "../../provider/kvm/resources/virtual-ip.schema";
import { resourceClass } from "../resource";

/** VirtualIp: see provider/kvm/resources/virtual-ip.schema.ts for every field. */
export const VirtualIp = resourceClass(virtualIpSchema);
export type VirtualIp = InstanceType<typeof VirtualIp>;
