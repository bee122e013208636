import { vmRoleSchema } from "../../provider/hyperv/resources/vm-role.schema";
import { resourceClass } from "../resource";

/** A highly available VM: its clustered role with priority, preferred owners, anti-affinity, failover/failback policy and VM monitoring. */
export const VmRole = resourceClass(vmRoleSchema);
export type VmRole = InstanceType<typeof VmRole>;
