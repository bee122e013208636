// The seed's Hyper-V section, declared:
//   Install-WindowsFeature -Name Failover-Clustering -IncludeManagementTools   (each node)
//   New-Cluster -Name HV-Cluster -Node HV1,HV2,HV3 -StaticAddress 192.168.1.200
//   Enable-ClusterStorageSpacesDirect
//   New-Volume ... -FileSystem CSVFS_ReFS                                      (a CSV)
//   Add-ClusterVirtualMachineRole -VMName VM1
// plus what running it in production needs: a witness, N+1 admission control, VM monitoring and
// Cluster-Aware Updating so the nodes stay at the same patch level.
//
// Where PowerShell runs comes from stack config: vmha:hypervShell (pwsh | powershell),
// vmha:hypervComputerName or vmha:hypervHostName for remoting, vmha:hypervUserName and
// vmha:hypervPassword (--secret). See provider/hyperv/README.md.
import * as pulumi from "@pulumi/pulumi";
import { hyperv } from "../../sdk";

const config = new pulumi.Config();
const name = config.get("clusterName") ?? "HV-Cluster";
const nodes = config.getObject<string[]>("nodes") ?? ["HV1", "HV2", "HV3"];
const witness = config.get("fileShareWitness");

const cluster = new hyperv.FailoverCluster("cluster", {
  name,
  nodes,
  staticAddresses: [config.get("staticAddress") ?? "192.168.1.200"],
  quorum: witness ? { type: "fileShare", path: witness } : { type: "none" },
  // N+1: every VM role must still fit after one node fails.
  failuresToTolerate: 1,
});

const s2d = new hyperv.StorageSpacesDirect("s2d", { cluster: cluster.name });

const volume = new hyperv.ClusterSharedVolume(
  "volume1",
  {
    cluster: cluster.name,
    friendlyName: "Volume1",
    sizeGb: config.getNumber("volumeSizeGb") ?? 1024,
    resiliency: "Mirror",
  },
  { dependsOn: [s2d] },
);

const vm1 = new hyperv.VmRole(
  "vm1",
  {
    cluster: cluster.name,
    vmName: config.get("vmName") ?? "VM1",
    priority: "High",
    preferredOwners: nodes.slice(0, 2),
    monitoredServices: config.getObject<string[]>("monitoredServices") ?? [],
    failuresToTolerate: cluster.failuresToTolerate,
  },
  { dependsOn: [volume] },
);

const updating = new hyperv.ClusterAwareUpdating("cau", {
  cluster: cluster.name,
  daysOfWeek: ["Tuesday"],
  weeksOfMonth: [2],
  maxFailedNodes: 0,
  requireAllNodesOnline: true,
});

export const clusterId = cluster.clusterId;
export const csvPath = volume.path;
export const vmRole = vm1.groupName;
export const cauRoleGroup = updating.resourceGroupName;
