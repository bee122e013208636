import { clusterSharedVolumeSchema } from "../../provider/hyperv/resources/cluster-shared-volume.schema";
import { resourceClass } from "../resource";

/** A Cluster Shared Volume: a new CSVFS_ReFS volume from the S2D pool, or an existing available cluster disk. */
export const ClusterSharedVolume = resourceClass(clusterSharedVolumeSchema);
export type ClusterSharedVolume = InstanceType<typeof ClusterSharedVolume>;
