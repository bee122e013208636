// AdmissionControl: admissionControlEnabled + admissionControlPolicy of a cluster's dasConfig.
import { TerminalError } from "../../core/errors";
import { defineResource } from "../../core/resource";
import { admissionToDas, dasToAdmission } from "../mapping/admission";
import { admissionControlSchema } from "./admission-control.schema";
import { clusterHa, reconfigure, tryClusterHa } from "./vim";

export const definition = defineResource({
  ...admissionControlSchema,
  async create(inputs, ctx) {
    const live = await clusterHa(ctx, inputs.clusterId);
    await reconfigure(ctx, inputs.clusterId, { dasConfig: admissionToDas(inputs) }, "admission control");
    const back = dasToAdmission(
      inputs.clusterId,
      (await clusterHa(ctx, inputs.clusterId)).das,
      inputs.performanceDegradationTolerance,
    );
    return {
      id: inputs.clusterId,
      outputs: {
        clusterName: live.name,
        ...(back.retainedPolicy ? { retainedPolicy: back.retainedPolicy } : {}),
      },
    };
  },
  async read(id, current, ctx) {
    const live = await tryClusterHa(ctx, id);
    if (!live) return undefined;
    let back: ReturnType<typeof dasToAdmission>;
    try {
      back = dasToAdmission(id, live.das, current.inputs.performanceDegradationTolerance);
    } catch (err) {
      throw new TerminalError(`AdmissionControl ${id}: ${(err as Error).message}`);
    }
    return {
      inputs: back.inputs,
      outputs: {
        clusterName: live.name,
        ...(back.retainedPolicy ? { retainedPolicy: back.retainedPolicy } : {}),
      },
    };
  },
  async update(id, _olds, news, ctx) {
    await reconfigure(ctx, id, { dasConfig: admissionToDas(news) }, "admission control");
    const live = await clusterHa(ctx, id);
    const back = dasToAdmission(id, live.das, news.performanceDegradationTolerance);
    return {
      clusterName: live.name,
      ...(back.retainedPolicy ? { retainedPolicy: back.retainedPolicy } : {}),
    };
  },
  async delete(id, _state, ctx) {
    // Back to vSphere's default for a new cluster: admission control on, one host failure.
    if (!(await tryClusterHa(ctx, id))) return;
    await reconfigure(
      ctx,
      id,
      {
        dasConfig: admissionToDas({
          clusterId: id,
          policy: { type: "hostFailures", hostFailuresToTolerate: 1 },
          performanceDegradationTolerance: 100,
        }),
      },
      "restore default admission control",
    );
  },
});
