// KVM/QEMU high availability run by vmha's own runtime (vmha-agent on every host, etcd).
export { Cluster } from "./cluster";
export { Constraint } from "./constraint";
export { domainXmlFromFile } from "./domain-xml";
export { FenceDevice } from "./fence-device";
export { Resource } from "./ocf-resource";
export { VirtualIp } from "./virtual-ip";
export { VirtualMachine } from "./virtual-machine";
