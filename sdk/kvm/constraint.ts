import { constraintSchema } from "../../provider/kvm/resources/constraint.schema";
import { resourceClass } from "../resource";

/** Constraint: see provider/kvm/resources/constraint.schema.ts for every field. */
export const Constraint = resourceClass(constraintSchema);
export type Constraint = InstanceType<typeof Constraint>;
