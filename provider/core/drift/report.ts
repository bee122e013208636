// Pure: engine events of a preview-only refresh -> a drift report, and its text form.
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { changedKeys } from "../changes";

export interface DriftedResource {
  urn: string;
  /** The resource's type, shortened for dynamic resources (`vmha-vsphere:HaSettings`). */
  type: string;
  name: string;
  /** `update`: properties differ from the state; `delete`: the object no longer exists. */
  change: "update" | "delete";
  /** Top-level inputs whose live value differs from the stored one. */
  properties: string[];
}

export interface DriftReport {
  stack: string;
  checkedAt: string;
  /** Resources the refresh looked at (the stack itself and providers excluded). */
  resources: number;
  drifted: DriftedResource[];
}

const DYNAMIC = "pulumi-nodejs:dynamic/";

export function shortType(type: string): string {
  return type.startsWith(DYNAMIC) ? type.slice(DYNAMIC.length) : type;
}

function isBookkeeping(type: string): boolean {
  return type === "pulumi:pulumi:Stack" || type.startsWith("pulumi:providers:");
}

export function buildReport(stack: string, events: ReadonlyArray<EngineEvent>, checkedAt: Date): DriftReport {
  const seen = new Set<string>();
  const drifted: DriftedResource[] = [];
  for (const e of events) {
    const md = e.resOutputsEvent?.metadata ?? e.resourcePreEvent?.metadata;
    if (!md || isBookkeeping(md.type)) continue;
    seen.add(md.urn);
    if (!e.resOutputsEvent) continue;
    if (md.op !== "update" && md.op !== "delete") continue;
    // Drift is configuration changed outside Pulumi: the inputs that read() reports back. Outputs
    // that are observed status (where a VM runs after a failover, a role's owner node) change on
    // their own and are not drift.
    const properties = md.op === "delete" ? [] : changedKeys(md.old?.inputs, md.new?.inputs);
    if (md.op === "update" && properties.length === 0) continue;
    drifted.push({
      urn: md.urn,
      type: shortType(md.type),
      name: md.urn.split("::").pop() ?? md.urn,
      change: md.op,
      properties,
    });
  }
  drifted.sort((a, b) => a.urn.localeCompare(b.urn));
  return { stack, checkedAt: checkedAt.toISOString(), resources: seen.size, drifted };
}

export function formatReport(r: DriftReport): string[] {
  const lines = r.drifted.map((d) =>
    d.change === "delete"
      ? `drift: ${d.type} ${d.name}: deleted outside Pulumi`
      : `drift: ${d.type} ${d.name}: ${d.properties.length ? d.properties.join(", ") : "changed"}`,
  );
  lines.push(
    r.drifted.length === 0
      ? `no drift: ${r.resources} resource(s) of stack ${r.stack} match their state`
      : `${r.drifted.length} of ${r.resources} resource(s) of stack ${r.stack} drifted`,
  );
  return lines;
}

/** The Pulumi CLI's own exit code for "changes found with --expect-no-changes". */
export const DRIFT_EXIT_CODE = 7;
