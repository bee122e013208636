// The lab watchdog: an emulated softdog per lab host, run OUTSIDE the hosts (root namespace,
// like the BMC; one process for all hosts, started at `lab up`, stopped at `lab down`). A real
// host would use softdog or a hardware watchdog, but /dev/watchdog here would reset the whole
// machine, so each host's agent gets `--watchdog <fifo>` instead: .run/hosts/<h>/watchdog, a
// FIFO on the shared file system (the host's private mount namespace sees the same path).
//
// Semantics of Linux softdog with nowayout off, one byte per pet:
//   - armed at the first byte written;
//   - no byte for timeoutMs -> the host is reset like softdog resets a machine: powered off
//     exactly like the BMC does it (the same code: link down first, then the host's PID 1 killed,
//     so every process of it dies), then, VMHA_LAB_WATCHDOG_REBOOT_MS later (default 3000; 0 =
//     stay off), powered on through the BMC, so it boots and its agent starts again; one line
//     logged with the time since the last pet, and events recorded (.run/watchdog-events.jsonl,
//     and .run/power-events.jsonl with by "watchdog");
//   - "V" as the last byte, then the writer closes: disarmed (magic close);
//   - the writer closes without "V": stays armed (the next agent must reopen and pet in time);
//   - a writer that is SIGSTOPped keeps its end open and writes nothing: armed and silent, fires.
//   - the host powered off or rebooted by anyone else: disarmed (a power cycle resets a watchdog).
// Powering off is done here directly with the BMC's own function (lib/host.ts powerOff), not
// through the BMC's socket: a fence device set to fail (`fence-fail`) must not stop a watchdog,
// and the BMC answers one request at a time (a power-on takes ~1 s) while a watchdog must not wait.
//
// Control socket .run/watchdog.sock, one request line, one answer line (JSON):
//   status <h>            -> {"host","armed","timeoutMs","sinceLastPetMs","writer","fires",...}
//   timeout <h> <ms>      -> change the timeout of <h> (takes effect at once)
//   ping                  -> "pong"
import * as fs from "node:fs";
import * as net from "node:net";
import { askBmc } from "./lib/bmc-client";
import { initPid, powerOffAsync } from "./lib/host";
import { appendPowerEvent } from "./lib/power-log";
import { alive } from "./lib/sh";
import {
  WATCHDOG_CONFIG,
  WATCHDOG_EVENTS,
  WATCHDOG_LOG,
  WATCHDOG_SOCK,
  type WatchdogConfig,
  type WatchdogEvent,
  watchdogFifo,
} from "./lib/watchdog-client";

const TICK_MS = 10;
const REBOOT_MS = Number(process.env["VMHA_LAB_WATCHDOG_REBOOT_MS"] ?? 3000);

interface Dog {
  host: string;
  fifo: string;
  fd: number | undefined;
  timeoutMs: number;
  armed: boolean;
  armedAt?: number;
  /** Outside pid of the host's PID 1 when armed: the host's "boot". */
  bootPid?: number;
  lastPetAt?: number;
  lastByte?: number;
  writer: boolean;
  pets: number;
  fires: number;
  lastFireAt?: number;
}

function record(e: WatchdogEvent, line: string): void {
  fs.appendFileSync(WATCHDOG_EVENTS, `${JSON.stringify(e)}\n`);
  fs.appendFileSync(WATCHDOG_LOG, `${new Date(e.at).toISOString()} ${line}\n`);
}

function openFifo(d: Dog): void {
  if (d.fd !== undefined) return;
  try {
    // Read end, non-blocking: open succeeds with no writer; read() then says EAGAIN while a
    // writer holds the other end and sends nothing, and 0 (EOF) while there is no writer.
    d.fd = fs.openSync(d.fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch {
    d.fd = undefined;
  }
}

const buf = Buffer.alloc(4096);

function poll(d: Dog, now: number): void {
  openFifo(d);
  if (d.fd !== undefined) {
    for (;;) {
      let n: number;
      try {
        n = fs.readSync(d.fd, buf, 0, buf.length, null);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "EAGAIN") d.writer = true;
        else {
          try {
            fs.closeSync(d.fd);
          } catch {
            /* ignore */
          }
          d.fd = undefined;
        }
        break;
      }
      if (n === 0) {
        if (d.writer) {
          d.writer = false;
          if (d.armed && d.lastByte === 0x56 /* V */) {
            d.armed = false;
            record(
              { at: now, host: d.host, event: "magic-close", timeoutMs: d.timeoutMs },
              `${d.host}: watchdog disarmed (magic close)`,
            );
          } else if (d.armed) {
            record(
              {
                at: now,
                host: d.host,
                event: "unexpected-close",
                timeoutMs: d.timeoutMs,
                sinceLastPetMs: now - (d.lastPetAt ?? now),
              },
              `${d.host}: watchdog closed without magic 'V': stays armed (${d.timeoutMs} ms)`,
            );
          }
        }
        break;
      }
      d.writer = true;
      d.pets += n;
      d.lastPetAt = now;
      d.lastByte = buf[n - 1];
      if (!d.armed) {
        d.armed = true;
        d.armedAt = now;
        d.bootPid = initPid(d.host);
        record(
          { at: now, host: d.host, event: "arm", timeoutMs: d.timeoutMs },
          `${d.host}: watchdog armed (timeout ${d.timeoutMs} ms)`,
        );
      }
    }
  }
  if (!d.armed) return;
  if (d.bootPid === undefined || !alive(d.bootPid)) {
    d.armed = false;
    record(
      { at: now, host: d.host, event: "reset-by-power-cycle", timeoutMs: d.timeoutMs },
      `${d.host}: host powered off by someone else: watchdog reset`,
    );
    return;
  }
  const since = now - (d.lastPetAt ?? now);
  if (since < d.timeoutMs) return;
  d.armed = false;
  d.fires++;
  d.lastFireAt = now;
  record(
    { at: now, host: d.host, event: "fire", timeoutMs: d.timeoutMs, sinceLastPetMs: since },
    `${d.host}: WATCHDOG FIRED: no pet for ${since} ms (timeout ${d.timeoutMs} ms): powering the host off`,
  );
  appendPowerEvent({
    at: now,
    host: d.host,
    action: "off",
    by: "watchdog",
    detail: `no pet for ${since} ms (timeout ${d.timeoutMs} ms)`,
  });
  // Link down and PID 1 killed at once; the wait for the last process runs without blocking
  // the other hosts' watchdogs.
  powerOffAsync(d.host)
    .then(() => {
      if (REBOOT_MS > 0) setTimeout(() => void reboot(d.host), REBOOT_MS);
    })
    .catch((err: unknown) => {
      fs.appendFileSync(
        WATCHDOG_LOG,
        `${new Date().toISOString()} ${d.host}: power-off failed: ${String(err)}\n`,
      );
    });
}

/** A watchdog reset reboots the machine: power it on through the BMC (boot, libvirtd, agent). */
async function reboot(host: string): Promise<void> {
  try {
    const a = await askBmc(`on ${host}`, 60000);
    fs.appendFileSync(WATCHDOG_LOG, `${new Date().toISOString()} ${host}: rebooted after the reset (${a})\n`);
  } catch (err) {
    fs.appendFileSync(WATCHDOG_LOG, `${new Date().toISOString()} ${host}: reboot failed: ${String(err)}\n`);
  }
}

function status(d: Dog, now: number): Record<string, unknown> {
  return {
    host: d.host,
    armed: d.armed,
    timeoutMs: d.timeoutMs,
    writer: d.writer,
    sinceLastPetMs: d.lastPetAt === undefined ? null : now - d.lastPetAt,
    armedForMs: d.armed && d.armedAt !== undefined ? now - d.armedAt : null,
    pets: d.pets,
    fires: d.fires,
    lastFireAt: d.lastFireAt === undefined ? null : new Date(d.lastFireAt).toISOString(),
    fifo: d.fifo,
  };
}

function main(): void {
  const cfg = JSON.parse(fs.readFileSync(WATCHDOG_CONFIG, "utf8")) as WatchdogConfig;
  const dogs = new Map<string, Dog>();
  for (const [h, c] of Object.entries(cfg.hosts)) {
    dogs.set(h, {
      host: h,
      fifo: watchdogFifo(h),
      fd: undefined,
      timeoutMs: c.timeoutMs,
      armed: false,
      writer: false,
      pets: 0,
      fires: 0,
    });
  }
  // Hold every read end open from the start: an agent's open() for writing blocks until a
  // reader exists.
  for (const d of dogs.values()) openFifo(d);
  const timer = setInterval(() => {
    for (const d of dogs.values()) poll(d, Date.now());
  }, TICK_MS);
  fs.rmSync(WATCHDOG_SOCK, { force: true });
  const server = net.createServer((sock) => {
    let b = "";
    sock.setEncoding("utf8");
    sock.on("data", (chunk: string) => {
      b += chunk;
      const i = b.indexOf("\n");
      if (i < 0) return;
      const [cmd, h, arg] = b.slice(0, i).trim().split(/\s+/);
      const d = h ? dogs.get(h) : undefined;
      let answer: string;
      if (cmd === "ping") answer = "pong";
      else if (!d) answer = JSON.stringify({ error: `no lab watchdog for host ${h ?? "?"}` });
      else if (cmd === "status") answer = JSON.stringify(status(d, Date.now()));
      else if (cmd === "timeout" && Number(arg) > 0) {
        d.timeoutMs = Number(arg);
        answer = JSON.stringify(status(d, Date.now()));
      } else answer = JSON.stringify({ error: `unknown request ${cmd}` });
      sock.end(`${answer}\n`);
    });
    sock.on("error", () => {});
  });
  server.listen(WATCHDOG_SOCK);
  fs.appendFileSync(
    WATCHDOG_LOG,
    `${new Date().toISOString()} lab watchdog up: ${[...dogs.values()].map((d) => `${d.host} ${d.timeoutMs} ms`).join(", ")}\n`,
  );
  const stop = () => {
    clearInterval(timer);
    server.close();
    fs.rmSync(WATCHDOG_SOCK, { force: true });
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

if (require.main === module) main();
