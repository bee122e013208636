import { vmOverrideSchema } from "../../provider/vsphere/resources/vm-override.schema";
import { resourceClass } from "../resource";

/** Per-VM vSphere HA settings in a cluster (dasVmConfigSpec add/edit/remove). */
export const VmOverride = resourceClass(vmOverrideSchema);
export type VmOverride = InstanceType<typeof VmOverride>;
