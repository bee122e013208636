// AdmissionControl: admissionControlEnabled + admissionControlPolicy of a cluster's dasConfig.
// Which resource manages it, and the policy the cluster had before vmha, is recorded on the
// cluster (ownership.ts): a renamed resource's delete leaves its successor's policy alone, and a
// delete puts back the policy the cluster had before vmha rather than a default.
import { TerminalError } from "../../core/errors";
import { defineResource, type OpContext } from "../../core/resource";
import { admissionToDas, dasToAdmission } from "../mapping/admission";
import { admissionWriteProblems } from "../mapping/verify";
import { type AdmissionControlInputs, admissionControlSchema } from "./admission-control.schema";
import { clearMarker, newOwnerToken, readMarker, writeMarker } from "./ownership";
import { clusterHa, reconfigure, tryClusterHa } from "./vim";

type Before = Pick<AdmissionControlInputs, "policy" | "performanceDegradationTolerance">;

/** vSphere's default for a new cluster: admission control on, one host failure. */
const API_DEFAULT: Before = {
  policy: { type: "hostFailures", hostFailuresToTolerate: 1 },
  performanceDegradationTolerance: 100,
};

async function apply(inputs: AdmissionControlInputs, ctx: OpContext, what: string) {
  const id = inputs.clusterId;
  await reconfigure(ctx, id, { dasConfig: admissionToDas(inputs) }, what);
  const live = await clusterHa(ctx, id);
  const back = dasToAdmission(id, live.das, inputs.performanceDegradationTolerance);
  const problems = admissionWriteProblems(inputs.policy, back.inputs.policy);
  if (back.inputs.performanceDegradationTolerance !== inputs.performanceDegradationTolerance)
    problems.push(
      `performanceDegradationTolerance reads ${back.inputs.performanceDegradationTolerance} after vmha wrote ${inputs.performanceDegradationTolerance}`,
    );
  if (problems.length > 0) {
    throw new TerminalError(
      `AdmissionControl of cluster ${live.name} (${id}): vCenter did not keep what vmha wrote: ${problems.join("; ")}. ` +
        "vmha writes the policy with ReconfigureComputeResource_Task modify=true, where vCenter may leave an unset property (such as a removed slot size) as it was; " +
        "set the policy in the vSphere Client (cluster > Configure > vSphere Availability > Edit > Admission Control), then run `pulumi up --refresh`",
    );
  }
  return { clusterName: live.name, ...(back.retainedPolicy ? { retainedPolicy: back.retainedPolicy } : {}) };
}

/** What the cluster has now, or undefined when its policy is of a type vmha does not model. */
function current(clusterId: string, live: Awaited<ReturnType<typeof clusterHa>>): Before | undefined {
  try {
    const { policy, performanceDegradationTolerance } = dasToAdmission(clusterId, live.das).inputs;
    return { policy, performanceDegradationTolerance };
  } catch {
    return undefined;
  }
}

export const definition = defineResource({
  ...admissionControlSchema,
  async create(inputs, ctx) {
    const id = inputs.clusterId;
    const mark = await readMarker<Before>(ctx, id, "AdmissionControl");
    // Taking over from another vmha resource (a rename, a refactor): inherit what it found.
    const before = mark ? mark.before : current(id, await clusterHa(ctx, id));
    const owner = newOwnerToken();
    await writeMarker<Before>(ctx, id, "AdmissionControl", { owner, ...(before ? { before } : {}) });
    const outputs = await apply(inputs, ctx, "admission control");
    return { id, outputs: { ...outputs, owner, ...(before ? { before } : {}) } };
  },
  async read(id, cur, ctx) {
    const live = await tryClusterHa(ctx, id);
    if (!live) return undefined;
    let back: ReturnType<typeof dasToAdmission>;
    try {
      back = dasToAdmission(id, live.das, cur.inputs.performanceDegradationTolerance);
    } catch (err) {
      throw new TerminalError(`AdmissionControl ${id}: ${(err as Error).message}`);
    }
    const { retainedPolicy: _, ...kept } = cur.outputs;
    return {
      inputs: back.inputs,
      outputs: {
        ...kept,
        clusterName: live.name,
        ...(back.retainedPolicy ? { retainedPolicy: back.retainedPolicy } : {}),
      },
    };
  },
  async update(id, olds, news, ctx) {
    const owner = olds.outputs.owner ?? newOwnerToken();
    const mark = await readMarker<Before>(ctx, id, "AdmissionControl");
    const before = mark?.before ?? olds.outputs.before;
    // State written before ownership was recorded: record it now.
    if (!mark)
      await writeMarker<Before>(ctx, id, "AdmissionControl", { owner, ...(before ? { before } : {}) });
    const outputs = await apply(news, ctx, "admission control");
    return { ...outputs, owner, ...(before ? { before } : {}) };
  },
  async delete(id, state, ctx) {
    if (!(await tryClusterHa(ctx, id))) return;
    const mark = await readMarker<Before>(ctx, id, "AdmissionControl");
    if (mark && mark.owner !== state.outputs.owner) {
      ctx.progress(
        `admission control of cluster ${id} is managed by another vmha resource now (renamed or moved?): left as it is`,
      );
      return;
    }
    // Back to what the cluster had before vmha (vSphere's default when that is not known).
    const before = mark?.before ?? state.outputs.before ?? API_DEFAULT;
    await reconfigure(
      ctx,
      id,
      { dasConfig: admissionToDas({ clusterId: id, ...before }) },
      "restore the admission control the cluster had before vmha",
    );
    await clearMarker(ctx, id, "AdmissionControl");
  },
});
