// A reusable building block: a production-shaped Hyper-V failover cluster in one resource - the
// cluster with N+1 admission control, Storage Spaces Direct, CSV volumes and Cluster-Aware
// Updating - and `vm()` to make VMs highly available on it with the same admission control.
import * as pulumi from "@pulumi/pulumi";
import { ClusterAwareUpdating } from "./cluster-aware-updating";
import { ClusterSharedVolume } from "./cluster-shared-volume";
import { FailoverCluster } from "./failover-cluster";
import { StorageSpacesDirect } from "./storage-spaces-direct";
import { VmRole } from "./vm-role";

type ArgsOf<C extends abstract new (...a: never[]) => unknown> = NonNullable<ConstructorParameters<C>[1]>;

export interface HaVolume {
  /** The volume's name (its CSV mounts at C:\ClusterStorage\<name>). */
  name: string;
  sizeGb: pulumi.Input<number>;
  resiliency?: pulumi.Input<"Mirror" | "Parity" | "Simple">;
}

export interface HaClusterArgs extends Omit<ArgsOf<typeof FailoverCluster>, "failuresToTolerate"> {
  /** Node failures every VM role must survive; default 1 (N+1). */
  failuresToTolerate?: number;
  /** Enable Storage Spaces Direct (default true). */
  storageSpacesDirect?: boolean;
  volumes?: HaVolume[];
  /** Cluster-Aware Updating schedule; omitted: no CAU role. */
  updating?: Omit<ArgsOf<typeof ClusterAwareUpdating>, "cluster">;
}

export type HaVmArgs = Omit<ArgsOf<typeof VmRole>, "cluster" | "failuresToTolerate">;

export class HaCluster extends pulumi.ComponentResource {
  readonly cluster: FailoverCluster;
  readonly storage?: StorageSpacesDirect;
  readonly volumes: Record<string, ClusterSharedVolume> = {};
  readonly updating?: ClusterAwareUpdating;
  /** CSV paths by volume name. */
  readonly volumePaths: pulumi.Output<Record<string, string>>;
  private readonly prefix: string;

  constructor(name: string, args: HaClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("vmha:hyperv:HaCluster", name, {}, opts);
    this.prefix = name;
    const {
      storageSpacesDirect = true,
      volumes = [],
      updating,
      failuresToTolerate = 1,
      ...clusterArgs
    } = args;
    const parent = { parent: this };
    this.cluster = new FailoverCluster(`${name}-cluster`, { ...clusterArgs, failuresToTolerate }, parent);
    if (storageSpacesDirect) {
      this.storage = new StorageSpacesDirect(`${name}-s2d`, { cluster: this.cluster.name }, parent);
      for (const v of volumes) {
        this.volumes[v.name] = new ClusterSharedVolume(
          `${name}-${v.name}`,
          {
            cluster: this.cluster.name,
            friendlyName: v.name,
            sizeGb: v.sizeGb,
            // Left unset when not given: the schema's default ("Mirror") applies either way.
            resiliency: v.resiliency,
          },
          { parent: this, dependsOn: [this.storage] },
        );
      }
    } else if (volumes.length) {
      throw new Error(`HaCluster ${name}: volumes need storageSpacesDirect: true`);
    }
    if (updating)
      this.updating = new ClusterAwareUpdating(
        `${name}-cau`,
        { cluster: this.cluster.name, ...updating },
        parent,
      );
    this.volumePaths = pulumi
      .all(Object.entries(this.volumes).map(([k, v]) => v.path.apply((p) => [k, p] as const)))
      .apply((pairs) => Object.fromEntries(pairs));
    this.registerOutputs({ clusterId: this.cluster.clusterId, volumePaths: this.volumePaths });
  }

  /** Makes a VM highly available on this cluster, refused if it would break failuresToTolerate. */
  vm(name: string, args: HaVmArgs, opts?: pulumi.CustomResourceOptions): VmRole {
    return new VmRole(
      `${this.prefix}-${name}`,
      { ...args, cluster: this.cluster.name, failuresToTolerate: this.cluster.failuresToTolerate },
      // The caller's dependsOn adds to the volumes, never replaces them.
      {
        ...opts,
        parent: this,
        dependsOn: pulumi
          .output(opts?.dependsOn ?? [])
          .apply((d) => [...Object.values(this.volumes), ...(Array.isArray(d) ? d : [d])]),
      },
    );
  }
}
