import { ocfResourceSchema } from "../../provider/kvm/resources/ocf-resource.schema";
import { resourceClass } from "../resource";

/** Resource: see provider/kvm/resources/ocf-resource.schema.ts for every field. */
export const Resource = resourceClass(ocfResourceSchema);
export type Resource = InstanceType<typeof Resource>;
