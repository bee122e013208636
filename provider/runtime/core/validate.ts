// The store is shared with other writers (other agents, operators with etcdctl, older or newer
// versions): nothing read from it reaches decide() unchecked. Each value is validated here;
// one that does not fit is dropped with a sentence naming its key, never thrown at the core.
// Pure (zod only).
import { z } from "zod";
import type { HostReport, ManagerState, MigrateRequest, StoreView } from "./model";
import { HOST_STATES, RESOURCE_STATES } from "./states";

const name = z.string().min(1).max(253);
const int = z.number().int();
const hostStates = Object.keys(HOST_STATES) as [keyof typeof HOST_STATES, ...Array<keyof typeof HOST_STATES>];
const resStates = Object.keys(RESOURCE_STATES) as [
  keyof typeof RESOURCE_STATES,
  ...Array<keyof typeof RESOURCE_STATES>,
];

/** Records keyed by names: no inherited keys (`__proto__`, `constructor`) can stand for an entry. */
function dict<T extends z.ZodType>(value: T) {
  return z
    .record(name, value)
    .transform((r) => Object.assign(Object.create(null), r) as Record<string, z.output<T>>);
}

const FailureSchema = z.object({
  epoch: int,
  op: z.enum(["start", "monitor", "migrate", "stop"]),
  reason: z.string(),
});

export const HostReportSchema = z.object({
  host: name,
  at: z.number(),
  managerRevision: int,
  listed: z.boolean(),
  running: z.array(name),
  busy: z.array(name),
  failed: dict(FailureSchema),
  migrated: dict(int).optional(),
  watchdogMs: z.number().positive().optional(),
});

const FenceProgressSchema = z.object({
  attempts: int.nonnegative(),
  lastAttemptAt: z.number().optional(),
  lastError: z.string().optional(),
  confirmedAt: z.number().optional(),
});

export const ManagerStateSchema = z.object({
  version: z.literal(1),
  specRevision: int,
  seq: int.nonnegative(),
  handledRequests: z.array(z.string()),
  hosts: dict(
    z.object({
      state: z.enum(hostStates),
      since: z.number(),
      reason: z.string().optional(),
      rev: int.optional(),
      expiredAt: z.number().optional(),
      fence: FenceProgressSchema.optional(),
      watchdogMs: z.number().optional(),
    }),
  ),
  resources: dict(
    z.object({
      state: z.enum(resStates),
      since: z.number(),
      reason: z.string().optional(),
      rev: int.optional(),
      node: name.optional(),
      target: name.optional(),
      epoch: int,
      relocations: int.nonnegative(),
      failedOn: z.array(name).optional(),
      failedTarget: name.optional(),
      home: name.optional(),
      admitted: z.boolean(),
      specKey: z.string(),
    }),
  ),
});

const MigrateRequestSchema = z.object({ id: z.string().min(1), resource: name, target: name });

export interface Rejection {
  key: string;
  reason: string;
}

export interface CheckedView {
  view: StoreView;
  /** Values that were dropped, by key. */
  rejected: Rejection[];
  /** The manager key holds something that is not a valid manager state: nobody may decide. */
  managerInvalid: boolean;
}

function why(e: z.ZodError): string {
  const i = e.issues[0];
  return i ? `${i.path.join(".") || "(value)"}: ${i.message}` : "invalid";
}

/**
 * Validates every value of a raw view. An invalid report or request is dropped; an invalid
 * manager state makes `managerInvalid` true (the view then carries none), so the primary
 * decides nothing (it must not start a new state over a fencing record it cannot read) and
 * the hosts hold what they run.
 */
export function checkView(raw: StoreView): CheckedView {
  const rejected: Rejection[] = [];
  const reports: Record<string, HostReport> = Object.create(null);
  for (const [h, r] of Object.entries(raw.reports ?? {})) {
    const p = HostReportSchema.safeParse(r);
    if (p.success && p.data.host === h) reports[h] = p.data as HostReport;
    else rejected.push({ key: `reports/${h}`, reason: p.success ? `host is ${p.data.host}` : why(p.error) });
  }
  const migrateRequests: MigrateRequest[] = [];
  for (const q of Array.isArray(raw.migrateRequests) ? raw.migrateRequests : []) {
    const p = MigrateRequestSchema.safeParse(q);
    if (p.success) migrateRequests.push(p.data);
    else rejected.push({ key: "requests/migrate", reason: why(p.error) });
  }
  let manager: ManagerState | undefined;
  let managerInvalid = false;
  if (raw.manager !== undefined) {
    const p = ManagerStateSchema.safeParse(raw.manager);
    if (p.success) manager = p.data as ManagerState;
    else {
      managerInvalid = true;
      rejected.push({ key: "manager", reason: why(p.error) });
    }
  }
  return { view: { ...raw, manager, reports, migrateRequests }, rejected, managerInvalid };
}
