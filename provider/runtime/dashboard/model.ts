// `vmha dashboard`'s page model: pure (one StoreView plus the last events -> what the page
// shows), so it is unit-tested without etcd or HTTP. It builds on `vmha status`'s clusterStatus()
// and on the metrics' viewHeadroom(), so the page, the CLI and the alerts agree on one formula.
//
// Secrets: only fields listed here reach the page. The spec's fence params, secretParams and
// resource params are never copied; as a second line of defence, values of fence params whose
// name looks like a credential are blanked out of every free-text field (reasons, event messages)
// in case an agent's error message quoted one.

import { clusterStatus, type ResourceStatus, type StatusEvent } from "../cli/status";
import { tryParseSpec } from "../core/spec";
import type { StoreView } from "../env";
import { viewHeadroom } from "../metrics/metrics";

export type TimelineKind = "fence" | "failover" | "host" | "resource" | "other";

export interface DashboardHost {
  host: string;
  /** The manager's host state (online, suspect, fencing, fenced, maintenance, offline, unknown). */
  state: string;
  lease: boolean;
  primary: boolean;
  /** An operator asked for maintenance (`vmha maintenance <h> on`). */
  maintenanceRequested: boolean;
  running: string[];
  /** The fence agent's program name only (never its params). */
  fenceAgent?: string;
  reason?: string;
}

/** The status row, with its reason cleaned of credential-looking values. */
export type DashboardResource = ResourceStatus;

export interface DashboardHeadroom {
  policy: string;
  tolerated: number;
  required: number;
  ok: boolean;
}

export interface TimelineEntry extends StatusEvent {
  kind: TimelineKind;
}

export interface DashboardModel {
  cluster: string;
  revision: number;
  primary: string | undefined;
  hosts: DashboardHost[];
  resources: DashboardResource[];
  /** Undefined when the spec is missing or invalid (headroomNote says which). */
  headroom?: DashboardHeadroom;
  headroomNote?: string;
  failures: Array<{ host: string; resource: string; op: string; reason: string }>;
  /** Newest first. */
  timeline: TimelineEntry[];
  /** Set when the last read of the store failed; the rest is then the last good read. */
  storeError?: string;
}

const SECRET_NAME = /pass|secret|token|key|cred|community|auth/i;

/** Values to blank out of free text: credential-looking fence params and every secretParam. */
export function secretValues(rawSpec: unknown): string[] {
  const out = new Set<string>();
  const hosts = (rawSpec as { hosts?: Record<string, { fence?: unknown }> } | undefined)?.hosts;
  for (const h of Object.values(hosts ?? {})) {
    const f = h?.fence as { params?: Record<string, unknown>; secretParams?: unknown } | undefined;
    const named = new Set(Array.isArray(f?.secretParams) ? f.secretParams.map(String) : []);
    for (const [k, v] of Object.entries(f?.params ?? {})) {
      // short values (a plug "h2", a port "623") would blank out host names: only real secrets
      if (typeof v === "string" && v.length >= 4 && (SECRET_NAME.test(k) || named.has(k))) out.add(v);
    }
  }
  return [...out];
}

function redactor(secrets: readonly string[]): (s: string) => string {
  return (s) => secrets.reduce((acc, v) => acc.split(v).join("***"), s);
}

export function timelineKind(e: StatusEvent): TimelineKind {
  if (/fenc/i.test(e.message) || /fenc/i.test(e.subject)) return "fence";
  if (/recover|failover/i.test(e.message)) return "failover";
  if (e.subject.startsWith("host ")) return "host";
  if (e.subject.startsWith("resource ")) return "resource";
  return "other";
}

function headroomOf(view: StoreView): Pick<DashboardModel, "headroom" | "headroomNote"> {
  if (view.spec === undefined || view.spec === null) return { headroomNote: "no cluster spec in the store" };
  const r = tryParseSpec(view.spec);
  if (!r.ok) return { headroomNote: `cluster spec invalid: ${r.issues.map((i) => i.property).join(", ")}` };
  const h = viewHeadroom(r.spec, view);
  return {
    headroom: {
      policy: r.spec.admissionControl.policy,
      tolerated: h.tolerated,
      required: h.required,
      ok: h.tolerated >= h.required,
    },
  };
}

/** The page model of one read: `events` in log order (oldest first), as `vmha status` reads them. */
export function dashboardModel(
  cluster: string,
  view: StoreView,
  events: readonly StatusEvent[],
): DashboardModel {
  const st = clusterStatus(cluster, view, [...events]);
  const clean = redactor(secretValues(view.spec));
  const specHosts = ((view.spec ?? {}) as { hosts?: Record<string, { fence?: { agent?: unknown } }> }).hosts;
  const maintenance = new Set(view.maintenance);
  const hosts = st.hosts.map((h): DashboardHost => {
    const agent = specHosts?.[h.host]?.fence?.agent;
    return {
      host: h.host,
      state: h.state,
      lease: h.lease,
      primary: h.host === st.primary,
      maintenanceRequested: maintenance.has(h.host),
      running: h.running,
      // the program's base name: a path could say more about the machine than needed
      ...(typeof agent === "string" ? { fenceAgent: clean(agent.split("/").pop() ?? agent) } : {}),
      ...(h.reason ? { reason: clean(h.reason) } : {}),
    };
  });
  const resources = st.resources.map(
    (r): DashboardResource => ({
      name: r.name,
      state: r.state,
      ...(r.node ? { node: r.node } : {}),
      ...(r.target ? { target: r.target } : {}),
      runningOn: r.runningOn,
      ...(r.reason ? { reason: clean(r.reason) } : {}),
    }),
  );
  const timeline = [...st.events].reverse().map(
    (e): TimelineEntry => ({
      at: e.at,
      host: e.host,
      level: e.level,
      subject: clean(e.subject),
      message: clean(e.message),
      kind: timelineKind(e),
    }),
  );
  return {
    cluster,
    revision: st.revision,
    primary: st.primary,
    hosts,
    resources,
    ...headroomOf(view),
    failures: st.failures.map((f) => ({ ...f, reason: clean(f.reason) })),
    timeline,
  };
}
