import type * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import { clusterSchema } from "../../provider/vsphere/resources/cluster.schema";
import { type Args, resourceClass } from "../resource";

const ClusterBase = resourceClass(clusterSchema);

/** A vSphere cluster: created in a datacenter, or adopted by name or managed-object id; hosts moved in or added. */
export class Cluster extends ClusterBase {
  /**
   * The cluster's managed-object id ("domain-c7"), which is also this resource's id. It is the
   * resource id rather than the stored output because the engine keeps the id known while it
   * previews an update, and leaves every output of a dynamic resource unknown: HaSettings,
   * AdmissionControl and VmOverride take `clusterId` and replace on it, so an unknown here made
   * any cluster update (a host added) preview as a replacement of all of them.
   */
  declare readonly clusterId: pulumi.Output<string>;

  constructor(
    name: string,
    args: Args<z.input<typeof clusterSchema.inputs>>,
    opts?: pulumi.CustomResourceOptions,
  ) {
    super(name, args, opts);
    Object.defineProperty(this, "clusterId", { value: this.id, enumerable: true });
  }
}
