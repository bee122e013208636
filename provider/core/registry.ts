// Stable resource keys -> the module that defines them (relative to the package root, no
// extension). State written by any earlier version names its key; keep every key here forever,
// even when a module moves, so refresh and delete of old stacks keep working.
export const REGISTRY: Readonly<Record<string, string>> = {
  "kvm:Cluster": "provider/kvm/resources/cluster",
  "kvm:Constraint": "provider/kvm/resources/constraint",
  "kvm:FenceDevice": "provider/kvm/resources/fence-device",
  "kvm:Resource": "provider/kvm/resources/ocf-resource",
  "kvm:VirtualIp": "provider/kvm/resources/virtual-ip",
  "kvm:VirtualMachine": "provider/kvm/resources/virtual-machine",
};
