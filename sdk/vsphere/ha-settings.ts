import { haSettingsSchema } from "../../provider/vsphere/resources/ha-settings.schema";
import { resourceClass } from "../resource";

/** vSphere HA settings of a cluster. Writes only its own dasConfig fields (modify), so AdmissionControl can manage admission control beside it. */
export const HaSettings = resourceClass(haSettingsSchema);
export type HaSettings = InstanceType<typeof HaSettings>;
