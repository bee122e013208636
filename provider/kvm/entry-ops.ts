// The etcd side of a spec entry: write (create/update), read, remove. Admission control and the
// runtime's validation run on the whole would-be spec inside the compare-and-swap; create waits
// until the runtime reports the resource started (and takes a new entry back out if it never
// does), delete until no host runs it any more.
//
// Creates are idempotent (review finding 9): a create whose commit reply was lost (a deadline, a
// leader change) is retried, finds the entry stamped with its own create id, and succeeds; an
// entry with exactly these settings left by an earlier run whose reply was lost is taken as
// ours; any other existing entry is refused with the adopt hint, or taken over with adopt: true.
import { isDeepStrictEqual } from "node:util";
import { TerminalError } from "../core/errors";
import type { OpContext } from "../core/resource";
import { insecureReport } from "./connection";
import { missingRefMessage, missingRefs } from "./entry-refs";
import { liveHosts, type ObservedResource, readObserved } from "./observed";
import {
  CREATED_BY,
  type EntryInputs,
  entryName,
  entryProblems,
  type RawEntry,
  toEntry,
  withoutMarkers,
} from "./resource-entry";
import { type RawSpec, readSpec, type SpecTarget, updateSpec } from "./spec-store";

export type EntryOutputs = ObservedResource & { insecureEtcd?: true };

export type WriteMode = { mode: "create"; createId: string } | { mode: "update" };

export interface EntryOps {
  /** The observed outputs, and whether create took over an entry that was already there. */
  write(
    i: EntryInputs,
    specific: RawEntry,
    ctx: OpContext,
    how: WriteMode,
  ): Promise<{ outputs: EntryOutputs; adopted: boolean }>;
  read(i: EntryInputs, ctx: OpContext): Promise<{ raw: RawEntry; observed: ObservedResource } | undefined>;
  remove(i: EntryInputs, ctx: OpContext): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function target(i: EntryInputs, label: string): SpecTarget {
  return { etcd: i.etcd, cluster: i.cluster, subject: `${label} ${entryName(i)}` };
}

async function waitFor(
  i: EntryInputs,
  t: SpecTarget,
  ctx: OpContext,
  done: (o: ObservedResource) => boolean,
  what: string,
  timeoutMs: number,
): Promise<ObservedResource> {
  const name = entryName(i);
  const t0 = Date.now();
  let last: ObservedResource | undefined;
  let lastSaid = "";
  while (Date.now() - t0 < timeoutMs && !ctx.signal.aborted) {
    last = await ctx.call(`${name}: read status`, () => readObserved(t, name));
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

/** What a create finds under its name, and so what it does. */
type Found = "nothing" | "own" | "same" | "adopt";

function classify(
  subject: string,
  existing: RawEntry | undefined,
  entry: RawEntry,
  i: EntryInputs,
  createId: string,
): Found {
  if (!existing) return "nothing";
  if (existing[CREATED_BY] === createId) return "own";
  if (isDeepStrictEqual(withoutMarkers(existing), withoutMarkers(entry))) return "same";
  if (i.adopt) return "adopt";
  throw new TerminalError(
    `${subject}: cluster ${i.cluster} already has a resource named ${entryName(i)} with other ` +
      "settings (made outside this stack, or by another stack); set adopt: true to take it over with this " +
      "program's settings (its VM keeps running), or choose another name",
  );
}

export function entryOps(kindLabel: string, startTimeoutMs = 120_000): EntryOps {
  return {
    async write(i, specific, ctx, how) {
      const name = entryName(i);
      const t = target(i, kindLabel);
      let wasStarted = false;
      let found = "nothing" as Found;
      await ctx.call(`${t.subject}: write spec`, () =>
        updateSpec(t, (doc) => {
          if (!doc)
            throw new TerminalError(
              `${t.subject}: cluster ${i.cluster} has no spec in etcd; create the kvm.Cluster first`,
            );
          const existing = doc.resources?.[name] as RawEntry | undefined;
          const entry = toEntry(i, specific, doc);
          if (how.mode === "create") {
            found = classify(t.subject, existing, entry, i, how.createId);
            // An entry already there and started (adopted) needs no wait; ours (a lost reply) does.
            wasStarted = found === "adopt" && (existing?.state ?? "started") === "started";
            if (found === "own" || found === "same") return doc; // written already: nothing to do
            entry[CREATED_BY] = how.createId;
          } else {
            wasStarted = existing !== undefined && (existing.state ?? "started") === "started";
            if (existing?.[CREATED_BY] !== undefined) entry[CREATED_BY] = existing[CREATED_BY];
          }
          const missing = missingRefs(entry.placement as Parameters<typeof missingRefs>[0], doc);
          if (missing.length) throw new TerminalError(missingRefMessage(t.subject, i.cluster, doc, missing));
          const problems = entryProblems(doc, name, entry);
          if (problems.length) {
            throw new TerminalError(
              `${t.subject}: ${problems.map((p) => `${p.property}: ${p.reason}`).join("; ")}`,
            );
          }
          return { ...doc, resources: { ...(doc.resources ?? {}), [name]: entry } } as RawSpec;
        }),
      );
      if (found === "same") {
        ctx.progress(
          `${name}: found in cluster ${i.cluster} with exactly these settings (an earlier run wrote it)`,
        );
      }
      const extra = insecureReport(i.etcd);
      const adopted = found === "adopt";
      if (i.state !== "started" || wasStarted) {
        const o = await ctx.call(`${t.subject}: read status`, () => readObserved(t, name));
        return { outputs: { ...o, ...extra }, adopted };
      }
      try {
        const o = await waitFor(
          i,
          t,
          ctx,
          (o) => o.status === "started" && o.runningOn.length > 0,
          "started",
          startTimeoutMs,
        );
        return { outputs: { ...o, ...extra }, adopted };
      } catch (err) {
        // Nothing half-made: a resource this create made that never started is taken out again.
        if (how.mode === "create" && found !== "adopt") await this.remove(i, ctx).catch(() => undefined);
        throw err;
      }
    },
    async read(i, ctx) {
      const name = entryName(i);
      const t = target(i, kindLabel);
      const stored = await ctx.call(`${t.subject}: read spec`, () => readSpec(t));
      const raw = stored?.doc.resources?.[name] as RawEntry | undefined;
      if (!raw) return undefined;
      const observed = await ctx.call(`${t.subject}: read status`, () => readObserved(t, name));
      return { raw, observed: { ...observed, ...insecureReport(i.etcd) } };
    },
    async remove(i, ctx) {
      const name = entryName(i);
      const t = target(i, kindLabel);
      // Two steps: first `stopped` (still managed, so the runtime stops it and reports it off),
      // then out of the spec. Removing it at once would leave the VM to a background stop that
      // nobody reports on any more.
      const stopping = await ctx.call(`${t.subject}: mark stopped`, async () => {
        if (!(await readSpec(t))) return false;
        let present = false;
        await updateSpec(t, (doc) => {
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
        const live = await ctx.call(`${t.subject}: read leases`, () => liveHosts(t));
        if (live.length === 0) {
          ctx.progress(
            `${name}: no vmha-agent holds a lease in cluster ${i.cluster}; removing without waiting for the stop`,
          );
        } else {
          await waitFor(
            i,
            t,
            ctx,
            (o) => o.runningOn.length === 0 && o.status !== "stopping",
            "stopped on every host",
            startTimeoutMs,
          );
        }
      }
      await ctx.call(`${t.subject}: remove from spec`, async () => {
        if (!(await readSpec(t))) return;
        await updateSpec(t, (doc) => {
          const resources = { ...(doc?.resources ?? {}) };
          delete resources[name];
          return doc ? { ...doc, resources } : doc;
        });
      });
    },
  };
}
