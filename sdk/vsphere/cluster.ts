import { clusterSchema } from "../../provider/vsphere/resources/cluster.schema";
import { resourceClass } from "../resource";

/** A vSphere cluster: created in a datacenter, or adopted by name or managed-object id; hosts moved in or added. */
export const Cluster = resourceClass(clusterSchema);
export type Cluster = InstanceType<typeof Cluster>;
