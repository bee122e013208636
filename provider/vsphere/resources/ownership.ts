// Which vmha resource manages a cluster's HA settings (or admission control) right now, recorded
// on the cluster itself as a vCenter custom attribute ("vmha.HaSettings" = {"owner": <token>,
// "before": …}). HaSettings and AdmissionControl use the cluster's id as their own id, so when a
// resource is renamed or moved under a component (a new URN, no alias) Pulumi creates the new one
// and then deletes the old one: without a record on the cluster the old one's delete cannot know
// that a successor now manages the settings, and turned HA off at the end of a successful `up`.
// The record also carries what the cluster had before vmha first managed it, so a delete puts that
// back (HA that was already on stays on) and a successor inherits it.
import * as crypto from "node:crypto";
import type { OpContext } from "../../core/resource";
import { VsphereFault } from "../client/faults";
import { retrieve } from "../client/props";
import type { VimClient } from "../client/session";
import { child, int, list, type MoRef, ref, str } from "../client/xml";
import { clusterRef, vim } from "./vim";

export type Role = "HaSettings" | "AdmissionControl";

export interface Marker<B> {
  owner: string;
  /** What the cluster had before any vmha resource managed this part of it. */
  before?: B;
}

const fieldName = (role: Role) => `vmha.${role}`;

export function newOwnerToken(): string {
  return crypto.randomUUID();
}

async function fieldKey(
  ctx: OpContext,
  c: VimClient,
  role: Role,
  create: boolean,
): Promise<number | undefined> {
  const sc = await c.session(ctx.signal);
  const cfm = sc.customFieldsManager;
  if (!cfm) return undefined;
  const find = async () => {
    const p = await ctx.call("read custom attribute definitions", (signal) =>
      retrieve(c, cfm, ["field"], signal),
    );
    const def = list(child(p["field"], "CustomFieldDef")).find((d) => str(d, "name") === fieldName(role));
    return def ? int(def, "key") : undefined;
  };
  const found = await find();
  if (found !== undefined || !create) return found;
  try {
    const made = await ctx.call(
      `define custom attribute ${fieldName(role)}`,
      (signal) =>
        c.invoke(
          "AddCustomFieldDef",
          cfm,
          { name: fieldName(role), moType: "ClusterComputeResource" },
          signal,
        ),
      // Not idempotent: a retry after a lost answer would fail on the definition it just made.
      { retry: { attempts: 1, initialDelayMs: 0, maxDelayMs: 0 } },
    );
    return int(made, "key");
  } catch (err) {
    // Defined meanwhile by another resource (or a lost answer): use that definition.
    if (err instanceof VsphereFault && err.faultType === "DuplicateName") return find();
    throw err;
  }
}

/** The cluster's record for this role, or undefined when none is set (or it is not vmha's JSON). */
export async function readMarker<B>(
  ctx: OpContext,
  clusterId: string,
  role: Role,
): Promise<Marker<B> | undefined> {
  const c = vim(ctx);
  const key = await fieldKey(ctx, c, role, false);
  if (key === undefined) return undefined;
  const p = await ctx.call(`read custom attributes of cluster ${clusterId}`, (signal) =>
    retrieve(c, clusterRef(clusterId), ["customValue"], signal),
  );
  const value = list(child(p["customValue"], "CustomFieldValue"))
    .filter((v) => int(v, "key") === key)
    .map((v) => str(v, "value"))[0];
  if (!value) return undefined;
  try {
    const m = JSON.parse(value) as Partial<Marker<B>>;
    return typeof m.owner === "string"
      ? { owner: m.owner, ...(m.before !== undefined ? { before: m.before } : {}) }
      : undefined;
  } catch {
    return undefined;
  }
}

async function setField(
  ctx: OpContext,
  clusterId: string,
  role: Role,
  value: string,
  what: string,
): Promise<void> {
  const c = vim(ctx);
  try {
    const key = await fieldKey(ctx, c, role, value !== "");
    const cfm = (await c.session(ctx.signal)).customFieldsManager;
    if (key === undefined || !cfm) return;
    const entity: MoRef = clusterRef(clusterId);
    await ctx.call(`${what} on cluster ${clusterId}`, (signal) =>
      c.invoke("SetField", cfm, { entity: ref(entity), key, value }, signal),
    );
  } catch (err) {
    // Without Global.ManageCustomFields / Global.SetCustomField the settings still apply; only a
    // later rename without an alias is unprotected. Say so instead of failing the whole update.
    if (err instanceof VsphereFault && err.faultType === "NoPermission") {
      ctx.progress(
        `warning: cannot record ${fieldName(role)} on cluster ${clusterId} (${err.message}); renaming this resource without an alias may then undo its settings. Grant Global.ManageCustomFields and Global.SetCustomField to fix this`,
      );
      return;
    }
    throw err;
  }
}

export function writeMarker<B>(ctx: OpContext, clusterId: string, role: Role, m: Marker<B>): Promise<void> {
  return setField(ctx, clusterId, role, JSON.stringify(m), `record ${fieldName(role)}`);
}

export function clearMarker(ctx: OpContext, clusterId: string, role: Role): Promise<void> {
  return setField(ctx, clusterId, role, "", `clear ${fieldName(role)}`);
}
