// Every power-off and power-on of a lab host, by whoever did it, one JSON line each in
// .run/power-events.jsonl: the BMC (asked by a fence agent from a host, or by the lab on the
// management address), the lab watchdog (a host whose agent stopped petting it) and the nemesis.
// Appends are single small writes to an O_APPEND file, so several processes can share it.
import * as fs from "node:fs";
import * as path from "node:path";
import { RUN_DIR } from "./config";

export const POWER_LOG = path.join(RUN_DIR, "power-events.jsonl");

export interface PowerEvent {
  /** ms since the epoch. */
  at: number;
  host: string;
  action: "off" | "on";
  /** "fence:<host that asked>", "bmc:mgmt" (the lab itself), "watchdog", "nemesis". */
  by: string;
  detail?: string;
}

export function appendPowerEvent(e: Omit<PowerEvent, "at"> & { at?: number }): void {
  const line = `${JSON.stringify({ at: e.at ?? Date.now(), ...e })}\n`;
  try {
    fs.mkdirSync(RUN_DIR, { recursive: true });
    fs.appendFileSync(POWER_LOG, line);
  } catch {
    /* a lab being torn down: nothing to record into */
  }
}

export function readPowerEvents(since = 0): PowerEvent[] {
  let text = "";
  try {
    text = fs.readFileSync(POWER_LOG, "utf8");
  } catch {
    return [];
  }
  const out: PowerEvent[] = [];
  for (const l of text.split("\n")) {
    if (!l.trim()) continue;
    try {
      const e = JSON.parse(l) as PowerEvent;
      if (e.at >= since) out.push(e);
    } catch {
      /* a torn line */
    }
  }
  return out;
}
