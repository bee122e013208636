import { clusterSchema } from "../../provider/kvm/resources/cluster.schema";
import { resourceClass } from "../resource";

/** Cluster: see provider/kvm/resources/cluster.schema.ts for every field. */
export const Cluster = resourceClass(clusterSchema);
export type Cluster = InstanceType<typeof Cluster>;
