// What vCenter kept after a write, where vim25 leaves the encoding vmha uses ambiguous. Pure.
//
// vmha writes with ReconfigureComputeResource_Task and modify=true, which the reference defines
// as "an unset property has no effect". Three writes rest on a reading of that no simulator can
// prove: removing a das.* option by sending it with an empty value, clearing the heartbeat
// datastore list by sending the candidate policy with no datastores, and replacing an admission
// policy whole (dropping its slot size). After each write vmha reads the cluster back and, if
// vCenter kept the old value, fails naming the field, rather than reporting success and drift later.
import { isDeepStrictEqual } from "node:util";
import type { AdmissionPolicyInput } from "../resources/admission-control.schema";
import type { HaSettingsInputs } from "../resources/ha-settings.schema";
import type { DasOption } from "./das";

const show = (v: unknown) => JSON.stringify(v);

/** Drops undefined members (an absent optional field and an undefined one are the same). */
function plain(v: unknown): unknown {
  return v === undefined ? undefined : JSON.parse(JSON.stringify(v));
}

/** Sentences naming each field of HaSettings that vCenter did not take; empty when it took all. */
export function haWriteProblems(
  declared: HaSettingsInputs,
  back: HaSettingsInputs,
  sent: DasOption[],
): string[] {
  const out: string[] = [];
  const live = new Map(
    Object.entries(back.advancedOptions).map(([k, v]) => [k.toLowerCase(), [k, v] as const]),
  );
  for (const o of sent) {
    const kept = live.get(o.key.toLowerCase());
    if (o.value === "" && kept)
      out.push(
        `advanced option ${kept[0]} is still ${show(kept[1])} although vmha sent it empty to remove it`,
      );
  }
  const removed = new Set(sent.filter((o) => o.value === "").map((o) => o.key.toLowerCase()));
  for (const [k, v] of Object.entries(declared.advancedOptions)) {
    const got = live.get(k.toLowerCase());
    if (!removed.has(k.toLowerCase()) && got?.[1] !== v)
      out.push(`advanced option ${k} reads ${got ? show(got[1]) : "as unset"} after vmha wrote ${show(v)}`);
  }
  if (!isDeepStrictEqual(back.isolationAddresses, declared.isolationAddresses))
    out.push(
      `isolationAddresses read ${show(back.isolationAddresses)} after vmha wrote ${show(declared.isolationAddresses)}`,
    );
  const want = [...declared.heartbeatDatastores.datastores].sort();
  const got = [...back.heartbeatDatastores.datastores].sort();
  if (!isDeepStrictEqual(got, want))
    out.push(
      `heartbeatDatastores.datastores read ${show(got)} after vmha wrote ${show(want)}${want.length === 0 ? " (an empty list may leave the old one with modify=true)" : ""}`,
    );
  if (back.heartbeatDatastores.policy !== declared.heartbeatDatastores.policy)
    out.push(
      `heartbeatDatastores.policy reads ${show(back.heartbeatDatastores.policy)} after vmha wrote ${show(declared.heartbeatDatastores.policy)}`,
    );
  return out;
}

/** The same for AdmissionControl's policy: each differing field of the policy, by name. */
export function admissionWriteProblems(declared: AdmissionPolicyInput, back: AdmissionPolicyInput): string[] {
  const want = plain(declared) as Record<string, unknown>;
  const got = plain(back) as Record<string, unknown>;
  if (isDeepStrictEqual(want, got)) return [];
  if (want["type"] !== got["type"])
    return [`policy.type reads ${show(got["type"])} after vmha wrote ${show(want["type"])}`];
  const keys = [...new Set([...Object.keys(want), ...Object.keys(got)])].sort();
  return keys
    .filter((k) => !isDeepStrictEqual(want[k], got[k]))
    .map(
      (k) =>
        `policy.${k} reads ${got[k] === undefined ? "as unset" : show(got[k])} after vmha wrote ${want[k] === undefined ? "it unset" : show(want[k])}`,
    );
}
