import { failoverClusterSchema } from "../../provider/hyperv/resources/failover-cluster.schema";
import { resourceClass } from "../resource";

/** A Windows Server Failover Cluster: nodes, validation (Test-Cluster), quorum witness, heartbeat settings, admission-control level. */
export const FailoverCluster = resourceClass(failoverClusterSchema);
export type FailoverCluster = InstanceType<typeof FailoverCluster>;
