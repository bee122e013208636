// Pure: engine events of a preview-only refresh -> a drift report, and its text, GitHub and JSON forms.
import { isDeepStrictEqual } from "node:util";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { changedKeys } from "../changes";

/** Bumped when a field of the JSON report changes meaning or disappears (adding one is compatible). */
export const SCHEMA_VERSION = 1;

/** The command that corrects drift: a plain `pulumi up` compares against the stored state only. */
export const FIX_COMMAND = "pulumi up --refresh";

/**
 * An output a provider sets on read to name secret inputs whose live value differs from the
 * state. The engine shows every secret as "[secret]" in events, so old and new secret values
 * always look equal here; the provider compares them and reveals only the field names.
 */
export const SECRET_DRIFT_OUTPUT = "driftedSecretInputs";

export interface PropertyChange {
  property: string;
  /** A secret property: its values are never shown, only that it changed. */
  secret: boolean;
  old?: unknown;
  new?: unknown;
}

export interface DriftedResource {
  urn: string;
  /** The resource's type, shortened for dynamic resources (`vmha-vsphere:HaSettings`). */
  type: string;
  name: string;
  /** `update`: properties differ from the state; `delete`: the object no longer exists. */
  change: "update" | "delete";
  /** Top-level inputs whose live value differs from the stored one. */
  properties: string[];
  /** The same, with old and new values for non-secret properties. */
  changes: PropertyChange[];
}

/** A resource whose read failed: it was not checked, the others were. */
export interface ReadError {
  urn: string;
  type: string;
  name: string;
  message: string;
}

export interface DriftReport {
  schemaVersion: typeof SCHEMA_VERSION;
  stack: string;
  checkedAt: string;
  /** Resources the refresh looked at (the stack itself and providers excluded). */
  resources: number;
  drifted: DriftedResource[];
  errors: ReadError[];
  /** What corrects the drift. */
  fix: string;
}

const DYNAMIC = "pulumi-nodejs:dynamic/";
/** The key Pulumi marks a serialized secret with. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";

export function shortType(type: string): string {
  return type.startsWith(DYNAMIC) ? type.slice(DYNAMIC.length) : type;
}

function isBookkeeping(type: string): boolean {
  return type === "pulumi:pulumi:Stack" || type.startsWith("pulumi:providers:");
}

export function nameOf(urn: string): string {
  return urn.split("::").pop() ?? urn;
}

/** Whether a value is, or holds, a secret as the engine shows it in events. */
export function holdsSecret(v: unknown): boolean {
  if (v === "[secret]") return true;
  if (Array.isArray(v)) return v.some(holdsSecret);
  if (v && typeof v === "object") return SECRET_SIG in v || Object.values(v).some(holdsSecret);
  return false;
}

function secretDrift(outputs: Record<string, unknown> | undefined): string[] {
  const v = outputs?.[SECRET_DRIFT_OUTPUT];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
}

function changesOf(
  olds: Record<string, unknown> | undefined,
  news: Record<string, unknown> | undefined,
  secretDrifted: string[],
): PropertyChange[] {
  const out: PropertyChange[] = [];
  for (const p of new Set([...changedKeys(olds, news), ...secretDrifted])) {
    const o = olds?.[p];
    const n = news?.[p];
    if (holdsSecret(o) || holdsSecret(n) || secretDrifted.includes(p))
      out.push({ property: p, secret: true });
    else out.push({ property: p, secret: false, old: o ?? null, new: n ?? null });
  }
  return out.sort((a, b) => a.property.localeCompare(b.property));
}

export function buildReport(
  stack: string,
  events: ReadonlyArray<EngineEvent>,
  checkedAt: Date,
  errors: ReadonlyArray<ReadError> = [],
): DriftReport {
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
    const changes =
      md.op === "delete" ? [] : changesOf(md.old?.inputs, md.new?.inputs, secretDrift(md.new?.outputs));
    if (md.op === "update" && changes.length === 0) continue;
    drifted.push({
      urn: md.urn,
      type: shortType(md.type),
      name: nameOf(md.urn),
      change: md.op,
      properties: changes.map((c) => c.property),
      changes,
    });
  }
  drifted.sort((a, b) => a.urn.localeCompare(b.urn));
  const failed = [...errors].sort((a, b) => a.urn.localeCompare(b.urn));
  for (const f of failed) seen.add(f.urn);
  return {
    schemaVersion: SCHEMA_VERSION,
    stack,
    checkedAt: checkedAt.toISOString(),
    resources: seen.size,
    drifted,
    errors: failed,
    fix: FIX_COMMAND,
  };
}

/** A value for one line of text: JSON, cut at 80 characters. */
function brief(v: unknown): string {
  const s = JSON.stringify(v) ?? "null";
  return s.length > 80 ? `${s.slice(0, 79)}…` : s;
}

export function describeChange(c: PropertyChange): string {
  if (c.secret) return `${c.property} (secret: changed, values not shown)`;
  if (isDeepStrictEqual(c.old, c.new)) return c.property;
  return `${c.property} ${brief(c.old)} -> ${brief(c.new)}`;
}

function resourceLine(d: DriftedResource): string {
  return d.change === "delete"
    ? `${d.type} ${d.name}: deleted outside Pulumi`
    : `${d.type} ${d.name}: ${d.changes.length ? d.changes.map(describeChange).join(", ") : "changed"}`;
}

function summary(r: DriftReport): string {
  const failed = r.errors.length ? `; ${r.errors.length} could not be read (see the errors above)` : "";
  if (r.drifted.length === 0)
    return `no drift: ${r.resources - r.errors.length} resource(s) of stack ${r.stack} match their state${failed}`;
  return `${r.drifted.length} of ${r.resources} resource(s) of stack ${r.stack} drifted${failed}; run \`${r.fix}\` to restore the declared state (a plain \`pulumi up\` does not see drift)`;
}

export function formatReport(r: DriftReport): string[] {
  const lines = r.drifted.map((d) => `drift: ${resourceLine(d)}`);
  for (const e of r.errors) lines.push(`error: ${e.type} ${e.name}: could not be read: ${e.message}`);
  lines.push(summary(r));
  return lines;
}

/** GitHub Actions workflow-command escaping (data, and property values which also escape : and ,). */
function ghData(s: string): string {
  return s.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}
function ghProp(s: string): string {
  return ghData(s).replace(/:/g, "%3A").replace(/,/g, "%2C");
}

/** The report as GitHub Actions annotations: a warning per drifted resource, an error per failed read. */
export function formatGithub(r: DriftReport): string[] {
  const lines = r.drifted.map(
    (d) => `::warning title=${ghProp(`drift: ${d.type} ${d.name}`)}::${ghData(resourceLine(d))}`,
  );
  for (const e of r.errors)
    lines.push(`::error title=${ghProp(`drift check failed: ${e.type} ${e.name}`)}::${ghData(e.message)}`);
  lines.push(summary(r));
  return lines;
}

/** The Pulumi CLI's own exit code for "changes found with --expect-no-changes". */
export const DRIFT_EXIT_CODE = 7;

/** 1 when a read failed (the check is incomplete), 7 with drift, else 0. */
export function exitCode(r: DriftReport): number {
  if (r.errors.length > 0) return 1;
  return r.drifted.length > 0 ? DRIFT_EXIT_CODE : 0;
}
