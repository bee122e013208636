import { clusterAwareUpdatingSchema } from "../../provider/hyperv/resources/cluster-aware-updating.schema";
import { resourceClass } from "../resource";

/** The Cluster-Aware Updating role: nodes patched one at a time on a schedule while VMs stay up. */
export const ClusterAwareUpdating = resourceClass(clusterAwareUpdatingSchema);
export type ClusterAwareUpdating = InstanceType<typeof ClusterAwareUpdating>;
