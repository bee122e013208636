// M5: what a paused domain means, from libvirt's pause reason (virsh domstate --reason).
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseStateReason, pauseMeaning } from "../../../provider/runtime/libvirt/pause";

const rh = (reason: string, migrating = false) => {
  const m = pauseMeaning(reason, migrating);
  return [m.running, m.healthy];
};

test("pauses libvirt or an operator chose are healthy", () => {
  for (const r of [
    "user",
    "starting up",
    "starting",
    "booting",
    "saving",
    "creating snapshot",
    "shutting down",
  ])
    assert.deepEqual(rh(r), [true, true], r);
});

test("harmful pauses are unhealthy but the guest is still here", () => {
  for (const r of [
    "I/O error",
    "ioerror",
    "unknown",
    "crashed",
    "panicked",
    "watchdog",
    "api error",
    "post-copy failed",
    "something new",
  ])
    assert.deepEqual(rh(r), [true, false], r);
});

test("a migration pause: expected during our own migrate, unhealthy when nobody migrates", () => {
  assert.deepEqual(rh("migrating"), [true, false]);
  assert.deepEqual(rh("migration"), [true, false]);
  assert.deepEqual(rh("migrating", true), [true, true]);
});

test("the source of a finished migration is not running here", () => {
  for (const r of ["post-migration", "migrated", "post-copy"]) assert.deepEqual(rh(r), [false, false], r);
});

test("virsh domstate --reason output is parsed", () => {
  assert.deepEqual(parseStateReason("paused (I/O error)\n\n"), { state: "paused", reason: "I/O error" });
  assert.deepEqual(parseStateReason("shut off (destroyed)"), { state: "shut off", reason: "destroyed" });
  assert.deepEqual(parseStateReason("running"), { state: "running", reason: "unknown" });
});
