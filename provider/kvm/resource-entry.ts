// Create/read/update/delete of one entry of the spec's `resources` map, shared by VirtualMachine,
// VirtualIp and Resource. Admission control is evaluated on the whole would-be spec before
// anything is written; create waits until the runtime reports the resource started (and rolls
// the entry back if it never does), delete until no host runs it any more.

import type { z } from "zod";
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
import { etcdFor } from "./connection";
import type { EtcdConnection } from "./connection.schema";
import { liveHosts, type ObservedResource, readObserved } from "./observed";
import type { ObservedSchema } from "./resource-entry.schema";
import { type RawSpec, readSpec, updateSpec } from "./spec-store";

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

/** Why admitting `entry` as `name` would break the cluster's admission-control policy, if it would. */
export function admissionProblem(
  doc: RawSpec,
  name: string,
  entry: RawEntry | undefined,
): string | undefined {
  const resources = { ...(doc.resources ?? {}) } as Record<string, unknown>;
  if (entry) resources[name] = entry;
  else delete resources[name];
  const r = tryParseSpec({ ...doc, resources });
  if (!r.ok) return r.issues.map((x) => `${x.property}: ${x.reason}`).join("; ");
  const me = r.spec.resources[name];
  if (me?.state !== "started") return undefined;
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
  return v.ok ? undefined : v.reason;
}

export interface EntryOps {
  /** Failures for check(): admission control against the current spec (skipped without one). */
  validate(i: EntryInputs, specific: RawEntry, ctx: OpContext): Promise<string | undefined>;
  write(
    i: EntryInputs,
    specific: RawEntry,
    ctx: OpContext,
    mode: "create" | "update",
  ): Promise<ObservedResource>;
  read(i: EntryInputs, ctx: OpContext): Promise<{ raw: RawEntry; observed: ObservedResource } | undefined>;
  remove(i: EntryInputs, ctx: OpContext): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(
  i: EntryInputs,
  ctx: OpContext,
  done: (o: ObservedResource) => boolean,
  what: string,
  timeoutMs: number,
): Promise<ObservedResource> {
  const etcd = etcdFor(i.etcd);
  const name = entryName(i);
  const t0 = Date.now();
  let last: ObservedResource | undefined;
  let lastSaid = "";
  while (Date.now() - t0 < timeoutMs && !ctx.signal.aborted) {
    last = await ctx.call(`${name}: read status`, () => readObserved(etcd, i.cluster, name));
    if (done(last)) return last;
    const said = `${name}: waiting until ${what} (now ${last.status}${last.host ? ` on ${last.host}` : ""})`;
    if (said !== lastSaid) ctx.progress(said);
    lastSaid = said;
    if (last.status === "error") break;
    await sleep(250);
  }
  const why = last?.reason ? `: ${last.reason}` : "";
  throw new TerminalError(
    `${name}: not ${what} after ${Math.round((Date.now() - t0) / 1000)} s (state ${last?.status ?? "unknown"}${why}); ` +
      `is vmha-agent running on the hosts of cluster ${i.cluster}? (vmha status shows them)`,
  );
}

export function entryOps(kindLabel: string, startTimeoutMs = 120_000): EntryOps {
  return {
    async validate(i, specific, ctx) {
      const name = entryName(i);
      const stored = await ctx.call(`${kindLabel} ${name}: read spec`, () =>
        readSpec(etcdFor(i.etcd), i.cluster),
      );
      if (!stored) return undefined; // the cluster is created in the same update; create() checks again
      return admissionProblem(stored.doc, name, toEntry(i, specific, stored.doc));
    },
    async write(i, specific, ctx, mode) {
      const name = entryName(i);
      const subject = `${kindLabel} ${name}`;
      const etcd = etcdFor(i.etcd);
      let wasStarted = false;
      await ctx.call(`${subject}: write spec`, () =>
        updateSpec(etcd, i.cluster, subject, (doc) => {
          if (!doc)
            throw new TerminalError(
              `${subject}: cluster ${i.cluster} has no spec in etcd; create the kvm.Cluster first`,
            );
          const existing = doc.resources?.[name] as RawEntry | undefined;
          if (mode === "create" && existing) {
            throw new TerminalError(`${subject}: cluster ${i.cluster} already has a resource named ${name}`);
          }
          wasStarted = (existing?.state ?? "started") === "started" && existing !== undefined;
          const entry = toEntry(i, specific, doc);
          const problem = admissionProblem(doc, name, entry);
          if (problem) throw new TerminalError(`${subject}: ${problem}`);
          return { ...doc, resources: { ...(doc.resources ?? {}), [name]: entry } } as RawSpec;
        }),
      );
      if (i.state !== "started" || wasStarted) {
        return ctx.call(`${subject}: read status`, () => readObserved(etcd, i.cluster, name));
      }
      try {
        return await waitFor(
          i,
          ctx,
          (o) => o.status === "started" && o.runningOn.length > 0,
          "started",
          startTimeoutMs,
        );
      } catch (err) {
        // Nothing half-made: a resource that never started is taken out of the spec again.
        if (mode === "create") await this.remove(i, ctx).catch(() => undefined);
        throw err;
      }
    },
    async read(i, ctx) {
      const name = entryName(i);
      const etcd = etcdFor(i.etcd);
      const stored = await ctx.call(`${kindLabel} ${name}: read spec`, () => readSpec(etcd, i.cluster));
      const raw = stored?.doc.resources?.[name] as RawEntry | undefined;
      if (!raw) return undefined;
      const observed = await ctx.call(`${kindLabel} ${name}: read status`, () =>
        readObserved(etcd, i.cluster, name),
      );
      return { raw, observed };
    },
    async remove(i, ctx) {
      const name = entryName(i);
      const subject = `${kindLabel} ${name}`;
      const etcd = etcdFor(i.etcd);
      // Two steps: first `stopped` (still managed, so the runtime stops it and reports it off),
      // then out of the spec. Removing it at once would leave the VM to a background stop that
      // nobody reports on any more.
      const stopping = await ctx.call(`${subject}: mark stopped`, async () => {
        if (!(await readSpec(etcd, i.cluster))) return false;
        let present = false;
        await updateSpec(etcd, i.cluster, subject, (doc) => {
          const entry = doc?.resources?.[name] as RawEntry | undefined;
          present = entry !== undefined;
          if (!doc || !entry) return doc;
          return {
            ...doc,
            resources: { ...doc.resources, [name]: { ...entry, state: "stopped" } },
          } as RawSpec;
        });
        return present;
      });
      if (stopping) {
        const live = await ctx.call(`${subject}: read leases`, () => liveHosts(etcd, i.cluster));
        if (live.length === 0) {
          ctx.progress(
            `${name}: no vmha-agent holds a lease in cluster ${i.cluster}; removing without waiting for the stop`,
          );
        } else {
          await waitFor(
            i,
            ctx,
            (o) => o.runningOn.length === 0 && o.status !== "stopping",
            "stopped on every host",
            startTimeoutMs,
          );
        }
      }
      await ctx.call(`${subject}: remove from spec`, async () => {
        if (!(await readSpec(etcd, i.cluster))) return;
        await updateSpec(etcd, i.cluster, subject, (doc) => {
          const resources = { ...(doc?.resources ?? {}) };
          delete resources[name];
          return doc ? { ...doc, resources } : doc;
        });
      });
    },
  };
}

/** How one kind of entry maps to and from the spec (the rest is shared by entryDefinition). */
export interface EntryKind<I extends EntryInputs> {
  /** For messages: "vm", "virtual IP", "resource". */
  label: string;
  /** The kind-specific part of the spec entry. */
  toSpec(i: I): RawEntry;
  /** The kind-specific inputs read back from a spec entry (merged over the common ones). */
  fromSpec(raw: RawEntry, current: I): Record<string, unknown>;
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
    async validate(i, ctx) {
      const problem = await ops.validate(e(i), kind.toSpec(e(i)), ctx);
      return problem ? [{ property: "reservation", reason: problem }] : [];
    },
    async create(i, ctx) {
      return {
        id: `${e(i).cluster}/${entryName(e(i))}`,
        outputs: await ops.write(e(i), kind.toSpec(e(i)), ctx, "create"),
      };
    },
    async read(_id, current, ctx) {
      const cur = e(current.inputs);
      const r = await ops.read(cur, ctx);
      if (!r) return undefined;
      const inputs = schema.inputs.parse({
        cluster: cur.cluster,
        etcd: cur.etcd,
        name: cur.name,
        ...commonFromEntry(r.raw),
        ...kind.fromSpec(r.raw, cur),
      });
      return { inputs, outputs: r.observed };
    },
    async update(_id, _olds, news, ctx) {
      return ops.write(e(news), kind.toSpec(e(news)), ctx, "update");
    },
    async delete(_id, state, ctx) {
      await ops.remove(e(state.inputs), ctx);
    },
  });
}
