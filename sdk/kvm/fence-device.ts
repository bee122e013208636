import { fenceDeviceSchema } from "../../provider/kvm/resources/fence-device.schema";
import { resourceClass } from "../resource";

/** FenceDevice: see provider/kvm/resources/fence-device.schema.ts for every field. */
export const FenceDevice = resourceClass(fenceDeviceSchema);
export type FenceDevice = InstanceType<typeof FenceDevice>;
