// The lab watchdog (tests/lab/watchdog.ts) from the lab's side: its FIFOs, starting and
// stopping the daemon, asking it for a host's status, and reading what it recorded.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { hostDir, NODE, ROOT, RUN_DIR } from "./config";
import { alive, killPids, sh, trySh } from "./sh";

export const WATCHDOG_CONFIG = path.join(RUN_DIR, "watchdog.json");
export const WATCHDOG_SOCK = path.join(RUN_DIR, "watchdog.sock");
export const WATCHDOG_EVENTS = path.join(RUN_DIR, "watchdog-events.jsonl");
export const WATCHDOG_LOG = path.join(RUN_DIR, "watchdog.log");
export const WATCHDOG_PID_FILE = path.join(RUN_DIR, "watchdog.pid");
export const WATCHDOG_JS = path.join(ROOT, "dist", "tests", "lab", "watchdog.js");
export const DEFAULT_WATCHDOG_TIMEOUT_MS = 2000;

/** The FIFO a host's agent gets as `--watchdog` (same path inside the host's mount namespace). */
export function watchdogFifo(h: string): string {
  return path.join(hostDir(h), "watchdog");
}

export interface WatchdogConfig {
  hosts: Record<string, { timeoutMs: number }>;
}

export interface WatchdogEvent {
  at: number;
  host: string;
  event: "arm" | "fire" | "magic-close" | "unexpected-close" | "reset-by-power-cycle";
  timeoutMs: number;
  sinceLastPetMs?: number;
}

export interface WatchdogStatus {
  host: string;
  armed: boolean;
  timeoutMs: number;
  writer: boolean;
  sinceLastPetMs: number | null;
  armedForMs: number | null;
  pets: number;
  fires: number;
  lastFireAt: string | null;
  fifo: string;
}

function makeFifo(p: string): void {
  fs.mkdirSync(path.dirname(p), { recursive: true });
  try {
    if (fs.statSync(p).isFIFO()) return;
    fs.rmSync(p, { force: true });
  } catch {
    /* absent */
  }
  sh("mkfifo", ["-m", "0600", p]);
}

export function askWatchdog(line: string, timeoutMs = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = net.createConnection(WATCHDOG_SOCK);
    let out = "";
    const t = setTimeout(() => {
      c.destroy();
      reject(new Error(`lab watchdog did not answer "${line}" within ${timeoutMs} ms`));
    }, timeoutMs);
    c.setEncoding("utf8");
    c.on("connect", () => c.write(`${line}\n`));
    c.on("data", (d: string) => {
      out += d;
    });
    c.on("end", () => {
      clearTimeout(t);
      resolve(out.trim());
    });
    c.on("error", (err) => {
      clearTimeout(t);
      reject(err);
    });
  });
}

export async function watchdogStatus(h: string): Promise<WatchdogStatus> {
  const a = JSON.parse(await askWatchdog(`status ${h}`)) as WatchdogStatus & { error?: string };
  if (a.error) throw new Error(a.error);
  return a;
}

export async function setWatchdogTimeout(h: string, ms: number): Promise<WatchdogStatus> {
  const a = JSON.parse(await askWatchdog(`timeout ${h} ${ms}`)) as WatchdogStatus & { error?: string };
  if (a.error) throw new Error(a.error);
  return a;
}

/** Creates the FIFOs, writes the config and starts the daemon; resolves once it answers. */
export async function startWatchdog(cfg: WatchdogConfig): Promise<void> {
  stopWatchdog();
  for (const h of Object.keys(cfg.hosts)) makeFifo(watchdogFifo(h));
  fs.writeFileSync(WATCHDOG_CONFIG, `${JSON.stringify(cfg, null, 2)}\n`);
  const log = fs.openSync(path.join(RUN_DIR, "watchdog.stdout.log"), "a");
  const child = spawn(NODE, [WATCHDOG_JS], { detached: true, stdio: ["ignore", log, log] });
  child.unref();
  fs.closeSync(log);
  fs.writeFileSync(WATCHDOG_PID_FILE, String(child.pid));
  const deadline = Date.now() + 5000;
  for (;;) {
    try {
      if ((await askWatchdog("ping", 500)) === "pong") return;
    } catch (err) {
      if (Date.now() > deadline)
        throw new Error(`lab: watchdog not answering (${String(err)}); see ${WATCHDOG_LOG}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function stopWatchdog(): void {
  try {
    const pid = Number(fs.readFileSync(WATCHDOG_PID_FILE, "utf8"));
    if (pid > 0 && alive(pid)) killPids([pid]);
  } catch {
    /* not running */
  }
  fs.rmSync(WATCHDOG_PID_FILE, { force: true });
  // One of this checkout whose pid file was lost (a crashed run).
  killPids(
    trySh("pgrep", ["-f", WATCHDOG_JS])
      .stdout.split("\n")
      .map(Number)
      .filter((p) => p > 0 && p !== process.pid),
  );
  fs.rmSync(WATCHDOG_SOCK, { force: true });
}

export function readWatchdogEvents(since = 0): WatchdogEvent[] {
  let text = "";
  try {
    text = fs.readFileSync(WATCHDOG_EVENTS, "utf8");
  } catch {
    return [];
  }
  return text
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as WatchdogEvent)
    .filter((e) => e.at >= since);
}
