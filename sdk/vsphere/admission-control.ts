import { admissionControlSchema } from "../../provider/vsphere/resources/admission-control.schema";
import { resourceClass } from "../resource";

/** vSphere HA admission control policy of a cluster. */
export const AdmissionControl = resourceClass(admissionControlSchema);
export type AdmissionControl = InstanceType<typeof AdmissionControl>;
