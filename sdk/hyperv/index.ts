// Hyper-V / Windows Server Failover Clustering resources, one file each.
export { ClusterAwareUpdating } from "./cluster-aware-updating";
export { ClusterSharedVolume } from "./cluster-shared-volume";
export { FailoverCluster } from "./failover-cluster";
export { HaCluster, type HaClusterArgs, type HaVmArgs, type HaVolume } from "./ha-cluster";
export { StorageSpacesDirect } from "./storage-spaces-direct";
export { VmRole } from "./vm-role";
