// The scenario event language, one event per line ('#' starts a comment). Durations: 500ms,
// 2s, 1.5s, 1m. Events before the first `advance` set the stage at 0 s, before any agent runs.
//   advance <dur>                   let the world run that long (agents, heartbeats, operations)
//   power <h> on|off                power loss: the host goes silent, its resources die
//   network <h> on|off              all networks of the host down/up: the store, and live
//                                   migration to/from it (its fence device is out of band)
//   store partition <h> | store heal <h>   only the host's path to the store
//   store down | store up           the whole store unavailable (no leader: no lease expires;
//                                   calls get no answer; at `up` every live lease is promoted)
//   store election <dur>            a leader election: every call and renewal is HELD (no answer)
//                                   for <dur>, then carried out; live leases are promoted at the end
//   store latency <ms>              one-way latency of every store call from now on (default 2)
//   store lose-replies <n>          the next n requests are carried out but their answers lost
//   store put <key> <json>          an operator/foreign write: spec, manager, reports/<h>,
//                                   requests/migrate/<id>, maintenance/<h> (not lease-bound);
//                                   `store put manager "restore"` puts back the last committed state
//   store delete <key>              e.g. store delete leases/h2 (the key, not the lease)
//   store revoke <h>                the store revokes h's live lease while h renews it (a resumed
//                                   etcd leader that was frozen past the TTL: etcd-io/etcd#15247)
//   fence <h> fails [<n>|always] | fence <h> works   (a failing attempt errs or times out)
//   agent <h> hang | agent <h> resume     SIGSTOP until resume (heartbeat included)
//   agent <h> stall <dur>           SIGSTOP for <dur>; the hypervisor's operations go on
//   agent <h> restart [after <dur>] the process dies; systemd starts a fresh one after <dur>
//                                   (default 0): no memory, no lease; VMs and disk kept
//   skip-round <h>|primary          that agent stalls for one keepalive interval
//   libvirt <h> down <dur>          list and every operation fail fast for <dur>
//   libvirt <h> hang <dur>          every call waits until libvirt is back
//   clock <h> step <+|-dur>         the host's wall clock steps (the agent's monotonic clock does
//                                   not; a restarted agent's clock starts from the new wall time)
//   clock <h> rate <ppm>            the host's clocks run fast (+) or slow (-) by ppm (new agents)
//   clock <h> wall                  the agent's Clock.now() is the wall clock (commit 56bea08)
//   op <kind> duration <dur>[..<dur>]  start|stop|kill|migrate|list|monitor|fence take that long
//                                   (stop: the guest's graceful shutdown)
//   watchdog <h> none | timeout <dur> | broken   no device / its real timeout / never fires
//   vm <r> crash | hang | unhealthy | recover
//   vm <r> start-fails on <h>|everywhere  | vm <r> start-works
//   vm <r> migrate <h>              operator asks to move r to h (requests/migrate/m<n>)
//   maintenance <h> on|off
//   spec set <path> <json>          change the spec, e.g. spec set resources.web.state "stopped"
import type { OpKind } from "./hypervisor";

export type SimEvent =
  | { kind: "advance"; ms: number }
  | { kind: "power" | "network" | "maintenance"; host: string; on: boolean }
  | { kind: "store-partition"; host: string; cut: boolean }
  | { kind: "store"; down: boolean }
  | { kind: "store-election"; ms: number }
  | { kind: "store-latency"; ms: number }
  | { kind: "store-lose"; n: number }
  | { kind: "store-put"; key: string; value: unknown }
  | { kind: "store-delete"; key: string }
  | { kind: "store-revoke"; host: string }
  | { kind: "fence"; host: string; failures: number }
  | { kind: "agent"; host: string; hung: boolean }
  | { kind: "agent-stall"; host: string; ms: number }
  | { kind: "agent-restart"; host: string; afterMs: number }
  | { kind: "libvirt"; host: string; ms: number; hang: boolean }
  | { kind: "clock-step"; host: string; ms: number }
  | { kind: "clock-rate"; host: string; ppm: number }
  | { kind: "clock-wall"; host: string }
  | { kind: "op"; op: OpKind; min: number; max: number }
  | { kind: "watchdog"; host: string; what: "none" | "broken" | "timeout"; ms?: number }
  | { kind: "vm"; resource: string; what: "crash" | "hang" | "unhealthy" | "recover" | "start-works" }
  | { kind: "vm-start-fails"; resource: string; host: string }
  | { kind: "vm-migrate"; resource: string; host: string }
  | { kind: "skip-round"; host: string }
  | { kind: "spec-set"; path: string; value: unknown };

const OPS = new Set(["start", "stop", "kill", "migrate", "list", "monitor", "fence"]);

export function parseDuration(s: string): number {
  const m = /^([+-]?)(\d+(?:\.\d+)?)(ms|s|m)$/.exec(s);
  if (!m) throw new Error(`bad duration ${s} (use 500ms, 2s, 1.5s, 1m)`);
  const n = Number(m[2]) * (m[1] === "-" ? -1 : 1);
  return Math.round(m[3] === "ms" ? n : m[3] === "s" ? n * 1000 : n * 60_000);
}

export function fmtDuration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

function onOff(w: string | undefined, line: string): boolean {
  if (w === "on") return true;
  if (w === "off") return false;
  throw new Error(`expected on|off: ${line}`);
}

function parseStore(a: string | undefined, b: string | undefined, rest: string[]): SimEvent | undefined {
  if (a === "down" || a === "up") return { kind: "store", down: a === "down" };
  if ((a === "partition" || a === "heal") && b)
    return { kind: "store-partition", host: b, cut: a === "partition" };
  if (a === "election" && b) return { kind: "store-election", ms: parseDuration(b) };
  if (a === "latency" && b) return { kind: "store-latency", ms: parseDuration(/\d$/.test(b) ? `${b}ms` : b) };
  if (a === "lose-replies" && b) return { kind: "store-lose", n: Number(b) };
  if (a === "put" && b && rest.length)
    return { kind: "store-put", key: b, value: JSON.parse(rest.join(" ")) };
  if (a === "delete" && b) return { kind: "store-delete", key: b };
  if (a === "revoke" && b) return { kind: "store-revoke", host: b };
  return undefined;
}

function parseAgent(
  h: string,
  b: string | undefined,
  c: string | undefined,
  d: string | undefined,
): SimEvent | undefined {
  if (b === "hang" || b === "resume") return { kind: "agent", host: h, hung: b === "hang" };
  if (b === "stall" && c) return { kind: "agent-stall", host: h, ms: parseDuration(c) };
  if (b === "restart")
    return { kind: "agent-restart", host: h, afterMs: c === "after" && d ? parseDuration(d) : 0 };
  return undefined;
}

function parseMisc(verb: string, a: string, b?: string, c?: string): SimEvent | undefined {
  if (verb === "libvirt" && (b === "down" || b === "hang") && c)
    return { kind: "libvirt", host: a, ms: parseDuration(c), hang: b === "hang" };
  if (verb === "clock" && b === "step" && c) return { kind: "clock-step", host: a, ms: parseDuration(c) };
  if (verb === "clock" && b === "rate" && c) return { kind: "clock-rate", host: a, ppm: Number(c) };
  if (verb === "clock" && b === "wall") return { kind: "clock-wall", host: a };
  if (verb === "op" && OPS.has(a) && b === "duration" && c) {
    const [lo, hi] = c.split("..");
    const min = parseDuration(lo!);
    return { kind: "op", op: a as OpKind, min, max: hi ? parseDuration(hi) : min };
  }
  if (verb === "watchdog" && (b === "none" || b === "broken")) return { kind: "watchdog", host: a, what: b };
  if (verb === "watchdog" && b === "timeout" && c)
    return { kind: "watchdog", host: a, what: "timeout", ms: parseDuration(c) };
  return undefined;
}

function parseVm(a: string, b?: string, c?: string, d?: string): SimEvent | undefined {
  if (b === "crash" || b === "hang" || b === "unhealthy" || b === "recover" || b === "start-works") {
    return { kind: "vm", resource: a, what: b };
  }
  if (b === "start-fails") return { kind: "vm-start-fails", resource: a, host: c === "on" ? d! : "*" };
  if (b === "migrate" && c) return { kind: "vm-migrate", resource: a, host: c };
  return undefined;
}

export function parseEvent(line: string): SimEvent | undefined {
  const text = line.replace(/#.*/, "").trim();
  if (!text) return undefined;
  const [verb, a, b, c, ...rest] = text.split(/\s+/);
  let e: SimEvent | undefined;
  switch (verb) {
    case "advance":
      return { kind: "advance", ms: parseDuration(a ?? "") };
    case "power":
    case "network":
    case "maintenance":
      return { kind: verb, host: a!, on: onOff(b, line) };
    case "store":
      e = parseStore(
        a,
        b,
        [c ?? "", ...rest].filter((x) => x !== ""),
      );
      break;
    case "fence":
      if (b === "works") return { kind: "fence", host: a!, failures: 0 };
      if (b === "fails") {
        const n = c === undefined ? 1 : c === "always" ? Number.POSITIVE_INFINITY : Number(c);
        if (!Number.isNaN(n)) return { kind: "fence", host: a!, failures: n };
      }
      break;
    case "agent":
      e = parseAgent(a!, b, c, rest[0]);
      break;
    case "vm":
      e = parseVm(a!, b, c, rest[0]);
      break;
    case "skip-round":
      return { kind: "skip-round", host: a! };
    case "spec":
      if (a === "set" && b && c !== undefined)
        return { kind: "spec-set", path: b, value: JSON.parse([c, ...rest].join(" ")) };
      break;
    default:
      if (verb && a) e = parseMisc(verb, a, b, c);
  }
  if (e) return e;
  throw new Error(`cannot parse event: ${line}`);
}

export function parseEvents(text: string): SimEvent[] {
  const out: SimEvent[] = [];
  text.split("\n").forEach((line, i) => {
    try {
      const e = parseEvent(line);
      if (e) out.push(e);
    } catch (err) {
      throw new Error(`events.txt line ${i + 1}: ${(err as Error).message}`);
    }
  });
  return out;
}

export function formatEvent(e: SimEvent): string {
  switch (e.kind) {
    case "advance":
      return `advance ${fmtDuration(e.ms)}`;
    case "power":
    case "network":
    case "maintenance":
      return `${e.kind} ${e.host} ${e.on ? "on" : "off"}`;
    case "store-partition":
      return `store ${e.cut ? "partition" : "heal"} ${e.host}`;
    case "store":
      return `store ${e.down ? "down" : "up"}`;
    case "store-election":
      return `store election ${fmtDuration(e.ms)}`;
    case "store-latency":
      return `store latency ${e.ms}ms`;
    case "store-lose":
      return `store lose-replies ${e.n}`;
    case "store-put":
      return `store put ${e.key} ${JSON.stringify(e.value)}`;
    case "store-delete":
      return `store delete ${e.key}`;
    case "store-revoke":
      return `store revoke ${e.host}`;
    case "fence":
      return e.failures === 0
        ? `fence ${e.host} works`
        : `fence ${e.host} fails ${e.failures === Number.POSITIVE_INFINITY ? "always" : e.failures}`;
    case "agent":
      return `agent ${e.host} ${e.hung ? "hang" : "resume"}`;
    case "agent-stall":
      return `agent ${e.host} stall ${fmtDuration(e.ms)}`;
    case "agent-restart":
      return `agent ${e.host} restart${e.afterMs ? ` after ${fmtDuration(e.afterMs)}` : ""}`;
    case "libvirt":
      return `libvirt ${e.host} ${e.hang ? "hang" : "down"} ${fmtDuration(e.ms)}`;
    case "clock-step":
      return `clock ${e.host} step ${e.ms < 0 ? "-" : "+"}${fmtDuration(Math.abs(e.ms))}`;
    case "clock-rate":
      return `clock ${e.host} rate ${e.ppm}`;
    case "clock-wall":
      return `clock ${e.host} wall`;
    case "op":
      return `op ${e.op} duration ${fmtDuration(e.min)}${e.max !== e.min ? `..${fmtDuration(e.max)}` : ""}`;
    case "watchdog":
      return `watchdog ${e.host} ${e.what}${e.what === "timeout" ? ` ${fmtDuration(e.ms ?? 0)}` : ""}`;
    case "vm":
      return `vm ${e.resource} ${e.what}`;
    case "vm-start-fails":
      return e.host === "*"
        ? `vm ${e.resource} start-fails everywhere`
        : `vm ${e.resource} start-fails on ${e.host}`;
    case "vm-migrate":
      return `vm ${e.resource} migrate ${e.host}`;
    case "skip-round":
      return `skip-round ${e.host}`;
    case "spec-set":
      return `spec set ${e.path} ${JSON.stringify(e.value)}`;
  }
}
