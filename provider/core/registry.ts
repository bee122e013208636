// Stable resource keys -> the module that defines them (relative to the package root, no
// extension). State written by any earlier version names its key; keep every key here forever,
// even when a module moves, so refresh and delete of old stacks keep working.
export const REGISTRY: Readonly<Record<string, string>> = {
  "hyperv:ClusterAwareUpdating": "provider/hyperv/resources/cluster-aware-updating",
  "hyperv:ClusterSharedVolume": "provider/hyperv/resources/cluster-shared-volume",
  "hyperv:FailoverCluster": "provider/hyperv/resources/failover-cluster",
  "hyperv:StorageSpacesDirect": "provider/hyperv/resources/storage-spaces-direct",
  "hyperv:VmRole": "provider/hyperv/resources/vm-role",
  "kvm:Cluster": "provider/kvm/resources/cluster",
  "kvm:Constraint": "provider/kvm/resources/constraint",
  "kvm:FenceDevice": "provider/kvm/resources/fence-device",
  "kvm:Resource": "provider/kvm/resources/ocf-resource",
  "kvm:VirtualIp": "provider/kvm/resources/virtual-ip",
  "kvm:VirtualMachine": "provider/kvm/resources/virtual-machine",
  "vsphere:AdmissionControl": "provider/vsphere/resources/admission-control",
  "vsphere:Cluster": "provider/vsphere/resources/cluster",
  "vsphere:HaSettings": "provider/vsphere/resources/ha-settings",
  "vsphere:VmOverride": "provider/vsphere/resources/vm-override",
};
