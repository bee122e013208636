// The named state machines (principle 4): one table per kind, each state with a description,
// and one setState() per kind through which every change goes, logging `status change A => B`
// in one format:  "<kind> <name>: status change <from> => <to> (<reason>)".
import type { Action } from "./model";

export const HOST_STATES = {
  offline: "not seen yet: no lease since the manager state was created; nothing is placed here",
  online: "holds its lease; may run resources",
  suspect:
    "its lease key vanished; back to online if it returns with a new lease within rejoinGraceMs of the " +
    "primary's sighting (etcd can revoke a live lease), else fencing begins; the host holds what it runs",
  fencing: "being fenced: the device is called (and retried) and/or the self-fence deadline runs",
  fenced: "proven off (device confirmed) or past its self-fence deadline; its resources were freed",
  maintenance: "operator maintenance: drained, nothing new is placed here",
} as const;
export type HostState = keyof typeof HOST_STATES;

export const RESOURCE_STATES = {
  stopped: "kept off (spec says stopped, or admission control refused it)",
  starting: "assigned to a host whose agent is starting it",
  started: "running on its assigned host",
  stopping: "its host's agent is stopping it",
  recovering: "its host failed; waits for proof the host is off, then for a host that can take it",
  migrating: "live migration from its host to a target host",
  relocating: "offline move: stopped on its host, then started on the target",
  error: "failed beyond its restart and relocation limits; only a spec change clears this",
  disabled: "not managed by HA (spec state disabled); left as it is",
} as const;
export type ResourceState = keyof typeof RESOURCE_STATES;

export interface Stateful<S extends string> {
  state: S;
  since: number;
  reason?: string;
}

/** The one place a host or resource changes state. Pushes the log line onto `log`. */
export function setState<S extends string>(
  kind: "host" | "resource",
  name: string,
  rec: Stateful<S>,
  to: S,
  reason: string,
  now: number,
  log: Action[],
): void {
  if (rec.state === to) return;
  log.push({
    type: "log",
    level: "info",
    subject: `${kind} ${name}`,
    message: `status change ${rec.state} => ${to} (${reason})`,
  });
  rec.state = to;
  rec.since = now;
  rec.reason = reason;
}
