// The names an entry's placement refers to (hosts, other resources), checked against the spec by
// input field, so a problem is reported on the property the user wrote (`placement.after[0]`),
// never on `reservation` (review finding 5).
//
// At check() time a name missing from etcd is not an error: the resource it names may be created
// (or the host added by the kvm.Cluster) earlier in the same `pulumi up`, and during preview
// nothing is written yet. Such references are deferred; create/update check them again against
// the spec they write into, and fail there with the field and what to do.
import { UNKNOWN } from "../core/check";
import type { CheckFailure } from "../core/errors";
import type { RawSpec } from "./spec-store";

type Placement = {
  preferredHosts?: string[] | undefined;
  bannedHosts?: string[] | undefined;
  colocateWith?: string[] | undefined;
  after?: string[] | undefined;
};

const HOST_FIELDS = ["preferredHosts", "bannedHosts"] as const;
const RESOURCE_FIELDS = ["colocateWith", "after"] as const;

export interface MissingRef {
  /** The input property, e.g. `placement.colocateWith[1]`. */
  property: string;
  field: (typeof HOST_FIELDS)[number] | (typeof RESOURCE_FIELDS)[number];
  name: string;
  kind: "host" | "resource";
}

/** References of `placement` to hosts or resources the spec does not have (unknowns skipped). */
export function missingRefs(placement: Placement | undefined, doc: RawSpec): MissingRef[] {
  if (!placement) return [];
  const out: MissingRef[] = [];
  const hosts = doc.hosts ?? {};
  const resources = doc.resources ?? {};
  const scan = (field: MissingRef["field"], kind: MissingRef["kind"], known: Record<string, unknown>) => {
    for (const [i, n] of (placement[field] ?? []).entries()) {
      if (n === UNKNOWN || Object.hasOwn(known, n)) continue;
      out.push({ property: `placement.${field}[${i}]`, field, name: n, kind });
    }
  };
  for (const f of HOST_FIELDS) scan(f, "host", hosts);
  for (const f of RESOURCE_FIELDS) scan(f, "resource", resources);
  return out;
}

/** Names the entry itself among its colocateWith/after (never valid, known at check time). */
export function selfRefs(placement: Placement | undefined, name: string): CheckFailure[] {
  const out: CheckFailure[] = [];
  for (const f of RESOURCE_FIELDS) {
    for (const [i, n] of (placement?.[f] ?? []).entries()) {
      if (n === name) {
        out.push({
          property: `placement.${f}[${i}]`,
          reason: `names ${name} itself; a resource cannot ${f === "after" ? "start after" : "colocate with"} itself`,
        });
      }
    }
  }
  return out;
}

/** A copy of the entry without the references in `missing` (to evaluate the rest of it). */
export function withoutRefs<E extends Record<string, unknown>>(entry: E, missing: readonly MissingRef[]): E {
  if (missing.length === 0) return entry;
  const p = { ...((entry.placement as Placement | undefined) ?? {}) };
  for (const m of missing) p[m.field] = (p[m.field] ?? []).filter((n) => n !== m.name);
  return { ...entry, placement: p };
}

/** The create/update-time failure for references that are still missing when writing. */
export function missingRefMessage(
  subject: string,
  cluster: string,
  doc: RawSpec,
  missing: MissingRef[],
): string {
  const parts = missing.map((m) =>
    m.kind === "host"
      ? `${m.property} names host ${m.name}, which cluster ${cluster} does not have ` +
        `(hosts: ${Object.keys(doc.hosts ?? {}).join(", ") || "none"}); add it to the kvm.Cluster's hosts or fix the name`
      : `${m.property} names resource ${m.name}, which is not in cluster ${cluster}'s spec; if it is created ` +
        `in this same update, pass its output (for example ${m.field}: [vm.name]) so Pulumi creates it first, ` +
        "otherwise fix the name",
  );
  return `${subject}: ${parts.join("; ")}`;
}

/**
 * Maps the runtime parser's issues about a would-be spec to this entry's input properties:
 * `resources.<name>.<field>…` becomes `<field>…`; a start-order cycle is about `placement`; an
 * issue elsewhere in the spec is reported on `cluster` (the spec is already invalid).
 */
export function issuesToFailures(
  name: string,
  cluster: string,
  issues: ReadonlyArray<{ property: string; reason: string }>,
): CheckFailure[] {
  const own = `resources.${name}`;
  return issues.map((x) => {
    if (x.property === own) return { property: "(inputs)", reason: x.reason };
    if (x.property.startsWith(`${own}.`)) {
      const sub = x.property.slice(own.length + 1);
      // The spec stores kind-specific inputs under params (domainXml, ip, …).
      return { property: sub.startsWith("params") ? "(inputs)" : sub, reason: x.reason };
    }
    if (x.property === "resources" && x.reason.includes("cycle"))
      return { property: "placement", reason: x.reason };
    return {
      property: "cluster",
      reason: `the spec of cluster ${cluster} would be invalid at ${x.property}: ${x.reason}`,
    };
  });
}
