// One entry of the spec's `resources` map, shared by VirtualMachine, VirtualIp and Resource: how
// inputs map to an entry and back, and what check() says about an entry before anything is
// written (admission control, the runtime's own validation, size). The I/O lives in entry-ops.ts.

import { randomUUID } from "node:crypto";
import type { z } from "zod";
import { UNKNOWN } from "../core/check";
import type { CheckFailure } from "../core/errors";
import { TerminalError } from "../core/errors";
import {
  type AnyObjectSchema,
  defineResource,
  type OpContext,
  type ResourceDefinition,
  type ResourceSchema,
} from "../core/resource";
import { checkAdmission } from "../runtime/core/admission";
import { tryParseSpec } from "../runtime/core/spec";
import type { EtcdConnection } from "./connection.schema";
import { entryOps } from "./entry-ops";
import { issuesToFailures, missingRefs, selfRefs, withoutRefs } from "./entry-refs";
import type { ObservedSchema } from "./resource-entry.schema";
import { parseStored, type RawSpec, readSpec, specSizeProblem } from "./spec-store";

export type RawEntry = Record<string, unknown> & { kind: string; params?: Record<string, string> };

/** The inputs every entry kind has (see resource-entry.schema.ts). */
export interface EntryInputs {
  cluster: string;
  etcd: EtcdConnection;
  name?: string | undefined;
  state: "started" | "stopped" | "disabled";
  priority?: string | undefined;
  reservation?: { cpu: number; memoryMiB: number } | undefined;
  placement?: Record<string, unknown> | undefined;
  monitoring?: Record<string, unknown> | undefined;
  isolationResponse?: string | undefined;
  failback?: boolean | undefined;
  adopt?: boolean | undefined;
  timeouts?: unknown;
}

const COMMON = [
  "state",
  "priority",
  "reservation",
  "placement",
  "monitoring",
  "isolationResponse",
  "failback",
] as const;
/** Marks fields the provider filled from the cluster's resourceDefaults, so read() can leave them out. */
const DEFAULTED = "x-vmha-defaulted";
/**
 * The id of the create() call that wrote an entry. A create whose commit reply was lost finds its
 * own id on the retry and knows the write happened (review finding 9).
 */
export const CREATED_BY = "x-vmha-create";

export function newCreateId(): string {
  return randomUUID();
}

export function entryName(i: EntryInputs): string {
  if (!i.name)
    throw new TerminalError(
      "resource name missing: set `name` (the SDK class defaults it to the Pulumi name)",
    );
  return i.name;
}

type Defaults = {
  isolationResponse?: string;
  maxRestarts?: number;
  restartWindowMs?: number;
  maxRelocations?: number;
};

/** Common fields + kind-specific ones, with unset fields taken from the cluster's defaults. */
export function toEntry(i: EntryInputs, specific: RawEntry, doc: RawSpec): RawEntry {
  const entry: RawEntry = { ...specific };
  for (const k of COMMON) if (i[k] !== undefined) entry[k] = structuredClone(i[k]);
  const d = ((doc as { defaults?: Defaults }).defaults ?? {}) as Defaults;
  const filled: string[] = [];
  if (entry.isolationResponse === undefined && d.isolationResponse) {
    entry.isolationResponse = d.isolationResponse;
    filled.push("isolationResponse");
  }
  const mon = { ...((entry.monitoring as Record<string, unknown> | undefined) ?? {}) };
  for (const k of ["maxRestarts", "restartWindowMs", "maxRelocations"] as const) {
    if (mon[k] === undefined && d[k] !== undefined) {
      mon[k] = d[k];
      filled.push(`monitoring.${k}`);
    }
  }
  if (Object.keys(mon).length) entry.monitoring = mon;
  if (filled.length) entry[DEFAULTED] = filled;
  return entry;
}

/** The entry without provider bookkeeping that says nothing about the resource itself. */
export function withoutMarkers(e: RawEntry): RawEntry {
  const { [CREATED_BY]: _, ...rest } = e;
  return rest as RawEntry;
}

/** The common inputs as the program wrote them (cluster defaults taken back out). */
export function commonFromEntry(raw: RawEntry): Partial<EntryInputs> {
  const filled = new Set((raw[DEFAULTED] as string[] | undefined) ?? []);
  const out: Record<string, unknown> = {};
  for (const k of COMMON) if (raw[k] !== undefined) out[k] = structuredClone(raw[k]);
  if (filled.has("isolationResponse")) delete out.isolationResponse;
  const mon = out.monitoring as Record<string, unknown> | undefined;
  if (mon) {
    for (const f of filled) if (f.startsWith("monitoring.")) delete mon[f.slice(11)];
    if (Object.keys(mon).length === 0) delete out.monitoring;
  }
  return out as Partial<EntryInputs>;
}

/**
 * What is wrong with admitting `entry` as `name` into `doc`, per input property: the runtime's
 * own validation of the would-be spec and admission control. References to hosts or resources
 * the spec does not have yet are left out here (see entry-refs.ts); create/update refuse them.
 */
export function entryProblems(doc: RawSpec, name: string, entry: RawEntry | undefined): CheckFailure[] {
  const resources = { ...(doc.resources ?? {}) } as Record<string, unknown>;
  if (entry) {
    const placement = entry.placement as Parameters<typeof missingRefs>[0];
    resources[name] = withoutRefs(entry, missingRefs(placement, doc));
  } else delete resources[name];
  const r = tryParseSpec({ ...doc, resources });
  if (!r.ok) return issuesToFailures(name, doc.name ?? "?", r.issues);
  const me = r.spec.resources[name];
  if (me?.state !== "started") return [];
  const reserved = { cpu: 0, mem: 0 };
  for (const [n, res] of Object.entries(r.spec.resources)) {
    if (n === name || res.state !== "started") continue;
    reserved.cpu += res.reservation.cpu;
    reserved.mem += res.reservation.memoryMiB;
  }
  const v = checkAdmission(r.spec, Object.keys(r.spec.hosts), reserved, name, {
    cpu: me.reservation.cpu,
    mem: me.reservation.memoryMiB,
  });
  return v.ok ? [] : [{ property: "reservation", reason: v.reason ?? "admission control refused it" }];
}

/** entryProblems as one sentence, or undefined when the entry would be admitted. */
export function admissionProblem(
  doc: RawSpec,
  name: string,
  entry: RawEntry | undefined,
): string | undefined {
  const f = entryProblems(doc, name, entry);
  return f.length ? f.map((x) => `${x.property}: ${x.reason}`).join("; ") : undefined;
}

/** How one kind of entry maps to and from the spec (the rest is shared by entryDefinition). */
export interface EntryKind<I extends EntryInputs> {
  /** For messages: "vm", "virtual IP", "resource". */
  label: string;
  /** The input that makes an entry large (a VM's domainXml): where a size failure is reported. */
  bulkField?: string;
  /** The kind-specific part of the spec entry. */
  toSpec(i: I): RawEntry;
  /** The kind-specific inputs read back from a spec entry (merged over the common ones). */
  fromSpec(raw: RawEntry, current: I): Record<string, unknown>;
}

/** check(): everything knowable before the write, against the spec as it is now. */
async function checkEntry(
  i: EntryInputs,
  specific: RawEntry,
  kind: { label: string; bulkField?: string | undefined },
  ctx: OpContext,
): Promise<CheckFailure[]> {
  // Values computed by other resources are unknown during preview; create() checks them.
  if ([i.name, i.cluster].includes(UNKNOWN) || JSON.stringify(i.etcd).includes(UNKNOWN)) return [];
  const name = entryName(i);
  const self = selfRefs(i.placement as Parameters<typeof selfRefs>[0], name);
  if (self.length) return self;
  const target = { etcd: i.etcd, cluster: i.cluster, subject: `${kind.label} ${name}` };
  const stored = await ctx.call(`${target.subject}: read spec`, () => readSpec(target));
  if (!stored) return []; // the cluster is created in the same update; create() checks again
  const entry = toEntry(i, specific, stored.doc);
  const failures = entryProblems(stored.doc, name, entry);
  const tooBig = specSizeProblem(target, {
    ...stored.doc,
    resources: { ...(stored.doc.resources ?? {}), [name]: entry },
  } as RawSpec);
  if (tooBig) failures.push({ property: kind.bulkField ?? "(inputs)", reason: tooBig });
  return failures;
}

/** The definition of a resource that owns one entry of the spec's `resources` map. */
export function entryDefinition<I extends AnyObjectSchema>(
  schema: ResourceSchema<I, typeof ObservedSchema>,
  kind: EntryKind<z.output<I> & EntryInputs>,
): ResourceDefinition<I, typeof ObservedSchema> {
  const ops = entryOps(kind.label);
  // Every entry schema spreads entryShape, so its inputs are EntryInputs (zod cannot say so for a
  // generic schema).
  const e = (i: z.output<I>) => i as z.output<I> & EntryInputs;
  return defineResource<I, typeof ObservedSchema>({
    ...schema,
    validate: (i, ctx) => checkEntry(e(i), kind.toSpec(e(i)), kind, ctx),
    async create(i, ctx) {
      const w = await ops.write(e(i), kind.toSpec(e(i)), ctx, { mode: "create", createId: newCreateId() });
      // adopted: the core then releases the entry on delete instead of removing it.
      return { id: `${e(i).cluster}/${entryName(e(i))}`, outputs: w.outputs, adopted: w.adopted };
    },
    async read(_id, current, ctx) {
      const cur = e(current.inputs);
      const r = await ops.read(cur, ctx);
      if (!r) return undefined;
      const t = { etcd: cur.etcd, cluster: cur.cluster, subject: `${kind.label} ${entryName(cur)}` };
      const inputs = parseStored(
        schema.inputs,
        {
          cluster: cur.cluster,
          etcd: cur.etcd,
          name: cur.name,
          ...(cur.adopt !== undefined ? { adopt: cur.adopt } : {}),
          ...(cur.timeouts !== undefined ? { timeouts: cur.timeouts } : {}),
          ...commonFromEntry(r.raw),
          ...kind.fromSpec(r.raw, cur),
        },
        t,
        "its entry",
      );
      return { inputs, outputs: r.observed };
    },
    async update(_id, _olds, news, ctx) {
      return (await ops.write(e(news), kind.toSpec(e(news)), ctx, { mode: "update" })).outputs;
    },
    // An adopted entry never gets here: the core releases it (leaves it in the spec).
    async delete(_id, state, ctx) {
      await ops.remove(e(state.inputs), ctx);
    },
  });
}
