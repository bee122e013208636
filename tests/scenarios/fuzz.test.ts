// Seeded fuzzing in `npm test`: 1000 random event sequences on the discrete-event simulator
// (fixed seed, so a failure is reproducible with `npm run sim:fuzz -- --runs 1000 --seed
// 20261126`), invariants after every event and liveness after healing. On failure the message
// is a ready-to-save scenario. A failure fails the run: no open bug turns it into a TODO.
import assert from "node:assert/strict";
import { it } from "node:test";
import { fuzz } from "../../provider/runtime/sim/fuzz";

const SEED = 20261126;
const RUNS = 1000;

it(`fuzz: ${RUNS} seeded event sequences keep every invariant`, async () => {
  const r = await fuzz({ runs: RUNS, seed: SEED });
  assert.ok(r.ok, r.report);
  assert.equal(r.runs, RUNS);
});
