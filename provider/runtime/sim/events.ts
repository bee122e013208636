// The scenario event language, one event per line ('#' starts a comment):
//   advance <n>s | <n>ms            run agent rounds until the clock moved by that much
//   power <h> on|off                power loss: the host goes silent, its resources die
//   network <h> on|off              all networks of the host down/up: the store, and live
//                                   migration to/from it (its fence device is out of band)
//   store partition <h> | store heal <h>   only the host's path to the store
//   store down | store up           the whole store unreachable for everyone
//   fence <h> fails [<n>|always] | fence <h> works
//   agent <h> hang | agent <h> resume     the agent stops iterating (the watchdog then fires)
//   vm <r> crash | hang | unhealthy | recover
//   vm <r> start-fails on <h>|everywhere  | vm <r> start-works
//   vm <r> migrate <h>              operator asks to move r to h
//   maintenance <h> on|off
//   skip-round <h>|primary          that agent skips its next round (a stall)
//   spec set <path> <json>          change the spec, e.g. spec set resources.web.state "stopped"
export type SimEvent =
  | { kind: "advance"; ms: number }
  | { kind: "power" | "network" | "maintenance"; host: string; on: boolean }
  | { kind: "store-partition"; host: string; cut: boolean }
  | { kind: "store"; down: boolean }
  | { kind: "fence"; host: string; failures: number }
  | { kind: "agent"; host: string; hung: boolean }
  | { kind: "vm"; resource: string; what: "crash" | "hang" | "unhealthy" | "recover" | "start-works" }
  | { kind: "vm-start-fails"; resource: string; host: string }
  | { kind: "vm-migrate"; resource: string; host: string }
  | { kind: "skip-round"; host: string }
  | { kind: "spec-set"; path: string; value: unknown };

export function parseDuration(s: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(s);
  if (!m) throw new Error(`bad duration ${s} (use 500ms, 2s, 1.5s, 1m)`);
  const n = Number(m[1]);
  return Math.round(m[2] === "ms" ? n : m[2] === "s" ? n * 1000 : n * 60_000);
}

function onOff(w: string | undefined, line: string): boolean {
  if (w === "on") return true;
  if (w === "off") return false;
  throw new Error(`expected on|off: ${line}`);
}

export function parseEvent(line: string): SimEvent | undefined {
  const text = line.replace(/#.*/, "").trim();
  if (!text) return undefined;
  const [verb, a, b, c, ...rest] = text.split(/\s+/);
  switch (verb) {
    case "advance":
      return { kind: "advance", ms: parseDuration(a ?? "") };
    case "power":
    case "network":
    case "maintenance":
      return { kind: verb, host: a!, on: onOff(b, line) };
    case "store":
      if (a === "down" || a === "up") return { kind: "store", down: a === "down" };
      if ((a === "partition" || a === "heal") && b)
        return { kind: "store-partition", host: b, cut: a === "partition" };
      break;
    case "fence":
      if (b === "works") return { kind: "fence", host: a!, failures: 0 };
      if (b === "fails") {
        const n = c === undefined ? 1 : c === "always" ? Number.POSITIVE_INFINITY : Number(c);
        if (Number.isNaN(n)) break;
        return { kind: "fence", host: a!, failures: n };
      }
      break;
    case "agent":
      if (b === "hang" || b === "resume") return { kind: "agent", host: a!, hung: b === "hang" };
      break;
    case "vm":
      if (b === "crash" || b === "hang" || b === "unhealthy" || b === "recover" || b === "start-works") {
        return { kind: "vm", resource: a!, what: b };
      }
      if (b === "start-fails")
        return { kind: "vm-start-fails", resource: a!, host: c === "on" ? rest[0]! : "*" };
      if (b === "migrate" && c) return { kind: "vm-migrate", resource: a!, host: c };
      break;
    case "skip-round":
      return { kind: "skip-round", host: a! };
    case "spec":
      if (a === "set" && b && c !== undefined)
        return { kind: "spec-set", path: b, value: JSON.parse([c, ...rest].join(" ")) };
      break;
  }
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
      return e.ms % 1000 === 0 ? `advance ${e.ms / 1000}s` : `advance ${e.ms}ms`;
    case "power":
    case "network":
    case "maintenance":
      return `${e.kind} ${e.host} ${e.on ? "on" : "off"}`;
    case "store-partition":
      return `store ${e.cut ? "partition" : "heal"} ${e.host}`;
    case "store":
      return `store ${e.down ? "down" : "up"}`;
    case "fence":
      return e.failures === 0
        ? `fence ${e.host} works`
        : `fence ${e.host} fails ${e.failures === Number.POSITIVE_INFINITY ? "always" : e.failures}`;
    case "agent":
      return `agent ${e.host} ${e.hung ? "hang" : "resume"}`;
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
