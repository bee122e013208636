import { virtualMachineSchema } from "../../provider/kvm/resources/virtual-machine.schema";
import { resourceClass } from "../resource";

/** VirtualMachine: see provider/kvm/resources/virtual-machine.schema.ts for every field. */
export const VirtualMachine = resourceClass(virtualMachineSchema);
export type VirtualMachine = InstanceType<typeof VirtualMachine>;
