import { storageSpacesDirectSchema } from "../../provider/hyperv/resources/storage-spaces-direct.schema";
import { resourceClass } from "../resource";

/** Storage Spaces Direct on a failover cluster: one pool from the nodes' local drives. */
export const StorageSpacesDirect = resourceClass(storageSpacesDirectSchema);
export type StorageSpacesDirect = InstanceType<typeof StorageSpacesDirect>;
