// A planned restart's successor may pet the watchdog before it hears from the store only while
// the hand-off lease surely outlives the reset that pet postpones.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { earlyPetAllowed, readLeaseRecord, writeLeaseRecord } from "../../../provider/runtime/agent/hand-off";
import { isolationGraceMs } from "../../../provider/runtime/agent/resources";

const ms = (n: number) => BigInt(n) * 1_000_000n;

test("early pet: allowed while grant + TTL is at least the watchdog (and a margin) away", () => {
  const rec = { id: "7", handOff: { grantSentAtNs: String(ms(1000)), ttlMs: 10_000 } };
  assert.equal(earlyPetAllowed(rec, 2000, ms(1000 + 1500)), true, "1.5 s after a 10 s hand-off");
  assert.equal(earlyPetAllowed(rec, 2000, ms(1000 + 7400)), true);
  assert.equal(earlyPetAllowed(rec, 2000, ms(1000 + 7600)), false, "the reset would fall after the lease");
  assert.equal(earlyPetAllowed(rec, 2000, ms(500)), false, "another boot (clock before the grant)");
  assert.equal(earlyPetAllowed({ id: "7" }, 2000, ms(1)), false, "a crash left no hand-off: no early pet");
  assert.equal(earlyPetAllowed(undefined, 2000, ms(1)), false);
});

test("the lease record round-trips, and an older agent's bare id is still read", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vmha-lease-"));
  try {
    const f = path.join(dir, "c.lease");
    writeLeaseRecord(f, { id: "9", handOff: { grantSentAtNs: "123", ttlMs: 10_000 } });
    assert.deepEqual(readLeaseRecord(f), { id: "9", handOff: { grantSentAtNs: "123", ttlMs: 10_000 } });
    assert.equal(fs.statSync(f).mode & 0o777, 0o600);
    fs.writeFileSync(f, "42\n");
    assert.deepEqual(readLeaseRecord(f), { id: "42" });
    fs.writeFileSync(f, "{broken");
    assert.equal(readLeaseRecord(f), undefined);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("an isolation stop is graceful only when the budget leaves a useful shutdown after a destroy", () => {
  assert.equal(isolationGraceMs(10_000, 700), 0, "700 ms: destroy at once");
  assert.equal(isolationGraceMs(10_000, 1300), 0);
  assert.equal(isolationGraceMs(10_000, 1500), 1100);
  assert.equal(isolationGraceMs(2000, 9000), 2000);
});
