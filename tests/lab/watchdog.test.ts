// Proof of the lab watchdog (tests/lab/watchdog.ts), softdog semantics with nowayout off:
//   - an agent stopped with SIGSTOP on an armed host: the host is powered off (link down, every
//     process killed) no earlier than timeout - 100 ms and no later than timeout + 500 ms after
//     its last pet;
//   - "V" then close (magic close) disarms: nothing fires;
//   - a close without "V" keeps it armed: it fires, unless a new writer pets in time.
// Every host runs without a fence device here, so nothing but the watchdog powers a host off.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { after, before, test } from "node:test";
import { agentPid, stopAgent } from "./lib/agents";
import { type LabFixture, startLab, stopLab } from "./lib/fixture";
import { powerState } from "./lib/host";
import { readPowerEvents } from "./lib/power-log";
import { waitFor } from "./lib/wait";
import { readWatchdogEvents, watchdogFifo, watchdogStatus } from "./lib/watchdog-client";

const TIMEOUT_MS = 2000;
let fx: LabFixture | undefined;
let failed = false;

before(async () => {
  fx = await startLab("watchdog", {
    vms: 1,
    watchdog: { timeoutMs: TIMEOUT_MS },
    spec: { noFence: ["h1", "h2", "h3"] },
  });
  await fx.settle();
  for (const h of fx.state.hosts)
    await waitFor(`${h}: watchdog armed by its agent`, 10000, async () => (await watchdogStatus(h)).armed);
});
after(() => stopLab(fx, failed));

async function offWithin(h: string, ms: number): Promise<number | undefined> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (powerState(h) === "off") return Date.now();
    await new Promise((r) => setTimeout(r, 5));
  }
  return undefined;
}

/** Takes over the watchdog of `h` as its next "agent" would: open the FIFO, pet. */
function takeOver(h: string): number {
  const fd = fs.openSync(watchdogFifo(h), "w");
  fs.writeSync(fd, "\0");
  return fd;
}

async function pet(fd: number, times: number): Promise<void> {
  for (let i = 0; i < times; i++) {
    fs.writeSync(fd, "\0");
    await new Promise((r) => setTimeout(r, 250));
  }
}

test("SIGSTOP of an armed host's agent: powered off after timeout (-100/+500 ms) from the last pet", async () => {
  try {
    const h = "h1";
    const pid = agentPid(h)!;
    // Stop it right after a pet, so the stop time is the last pet time (within a few ms).
    await waitFor("a fresh pet", 5000, async () => ((await watchdogStatus(h)).sinceLastPetMs ?? 999) < 20, 2);
    const t0 = Date.now();
    process.kill(pid, "SIGSTOP");
    const off = await offWithin(h, TIMEOUT_MS + 2000);
    assert.ok(off !== undefined, `${h} still on ${TIMEOUT_MS + 2000} ms after its agent stopped`);
    const dt = off - t0;
    fx!.log(`${h}: powered off ${dt} ms after SIGSTOP of its agent`);
    assert.ok(dt >= TIMEOUT_MS - 100, `fired early: ${dt} ms`);
    assert.ok(dt <= TIMEOUT_MS + 500, `fired late: ${dt} ms`);
    const fire = readWatchdogEvents(t0).find((e) => e.host === h && e.event === "fire");
    assert.ok(fire, "no fire event recorded");
    assert.ok(fire.sinceLastPetMs! >= TIMEOUT_MS && fire.sinceLastPetMs! < TIMEOUT_MS + 100);
    await waitFor("power event by the watchdog", 3000, () =>
      readPowerEvents(t0).some((e) => e.host === h && e.action === "off" && e.by === "watchdog"),
    );
    assert.equal((await watchdogStatus(h)).fires, 1);
  } catch (err) {
    failed = true;
    throw err;
  }
});

test("magic close ('V', then close) disarms: the host stays on", async () => {
  try {
    const h = "h2";
    // The agent dies without a word (SIGKILL: no 'V'); a new writer takes over in time.
    stopAgent(h, "SIGKILL");
    const fd = takeOver(h);
    await pet(fd, 4);
    fs.writeSync(fd, "V");
    fs.closeSync(fd);
    const t0 = Date.now();
    await waitFor("disarmed", 2000, async () => !(await watchdogStatus(h)).armed, 10);
    assert.equal(
      await offWithin(h, TIMEOUT_MS + 1000),
      undefined,
      `${h} was powered off after a magic close`,
    );
    assert.equal(powerState(h), "on");
    assert.ok(readWatchdogEvents(t0 - 100).some((e) => e.host === h && e.event === "magic-close"));
    assert.ok(!readWatchdogEvents(t0 - 2000).some((e) => e.host === h && e.event === "fire"));
  } catch (err) {
    failed = true;
    throw err;
  }
});

test("close without 'V' keeps it armed: the host is powered off after the timeout", async () => {
  try {
    const h = "h3";
    stopAgent(h, "SIGKILL");
    const fd = takeOver(h);
    await pet(fd, 4);
    fs.writeSync(fd, "\0");
    const t0 = Date.now();
    fs.closeSync(fd);
    await new Promise((r) => setTimeout(r, 50));
    const st = await watchdogStatus(h);
    assert.ok(st.armed && !st.writer, "armed with no writer after an unexpected close");
    const off = await offWithin(h, TIMEOUT_MS + 2000);
    assert.ok(off !== undefined, `${h} not powered off after a close without 'V'`);
    const dt = off - t0;
    fx!.log(`${h}: powered off ${dt} ms after its last pet (closed without V)`);
    assert.ok(dt >= TIMEOUT_MS - 100 && dt <= TIMEOUT_MS + 500, `powered off after ${dt} ms`);
    assert.ok(readWatchdogEvents(t0).some((e) => e.host === h && e.event === "unexpected-close"));
  } catch (err) {
    failed = true;
    throw err;
  }
});
