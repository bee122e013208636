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
  /** More volume settings (e.g. defaults written out). */
  volume?: Partial<Args<typeof ClusterSharedVolume>>;
  /** No S2D resource (a cluster adopted without its storage). */
  noS2d?: boolean;
  roles: Array<{ name: string; args: Omit<Args<typeof VmRole>, "cluster"> }>;
  cau?: Omit<Args<typeof ClusterAwareUpdating>, "cluster">;
  /** Pulumi resource names, to rename them; with `aliases`, the old names are given as aliases. */
  names?: { cluster?: string; volume?: string };
  aliases?: boolean;
}

const config = new pulumi.Config();
const desired = config.requireObject<Desired>("desired");
const key = config.getSecret("witnessKey");
const alias = (name: string | undefined, old: string) =>
  name && desired.aliases ? { aliases: [{ name: old }] } : {};

const c = new FailoverCluster(
  desired.names?.cluster ?? "hv",
  { ...desired.cluster, cloudWitnessAccessKey: key },
  alias(desired.names?.cluster, "hv"),
);
const s2d = desired.noS2d
  ? undefined
  : new StorageSpacesDirect("s2d", { cluster: c.name, cacheState: "Enabled" });
if (desired.volumeGb !== undefined) {
  new ClusterSharedVolume(
    desired.names?.volume ?? "vol",
    { cluster: c.name, friendlyName: "VMs", sizeGb: desired.volumeGb, ...desired.volume },
    { dependsOn: s2d ? [s2d] : [], ...alias(desired.names?.volume, "vol") },
  );
}
for (const r of desired.roles) new VmRole(r.name, { cluster: c.name, ...r.args });
if (desired.cau) new ClusterAwareUpdating("cau", { cluster: c.name, ...desired.cau });

export const clusterId = c.clusterId;
