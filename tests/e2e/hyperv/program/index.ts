// Every Hyper-V resource, driven by the stack config `desired` (JSON) so a test can change the
// desired state between runs. A program on disk (not an inline one): it runs in the language
// host's own process, like `pulumi up`.
import * as pulumi from "@pulumi/pulumi";
import {
  ClusterAwareUpdating,
  ClusterSharedVolume,
  FailoverCluster,
  StorageSpacesDirect,
  VmRole,
} from "../../../../sdk/hyperv";

type Args<C extends abstract new (...a: never[]) => unknown> = ConstructorParameters<C>[1];

export interface Desired {
  cluster: Args<typeof FailoverCluster>;
  volumeGb?: number;
  roles: Array<{ name: string; args: Omit<Args<typeof VmRole>, "cluster"> }>;
  cau?: Omit<Args<typeof ClusterAwareUpdating>, "cluster">;
}

const config = new pulumi.Config();
const desired = config.requireObject<Desired>("desired");
const key = config.getSecret("witnessKey");

const c = new FailoverCluster("hv", { ...desired.cluster, cloudWitnessAccessKey: key });
const s2d = new StorageSpacesDirect("s2d", { cluster: c.name, cacheState: "Enabled" });
if (desired.volumeGb !== undefined) {
  new ClusterSharedVolume(
    "vol",
    { cluster: c.name, friendlyName: "VMs", sizeGb: desired.volumeGb },
    { dependsOn: [s2d] },
  );
}
for (const r of desired.roles) new VmRole(r.name, { cluster: c.name, ...r.args });
if (desired.cau) new ClusterAwareUpdating("cau", { cluster: c.name, ...desired.cau });

export const clusterId = c.clusterId;
