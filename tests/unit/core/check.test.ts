import * as assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as fc from "fast-check";
import { z } from "zod";
import { checkInputs, formatPath, UNKNOWN } from "../../../provider/core/check";

const schema = z.strictObject({
  name: z.string().min(1, "must not be empty"),
  hosts: z.array(z.strictObject({ address: z.string(), port: z.number().int().default(443) })).min(1),
  mode: z.enum(["fast", "safe"]).default("safe"),
  password: z.string().min(8, "must be at least 8 characters").optional(),
});

describe("checkInputs", () => {
  it("formats property paths the way Pulumi users write them", () => {
    assert.equal(formatPath(["hosts", 1, "address"]), "hosts[1].address");
    assert.equal(formatPath(["a", "b", 0, 2]), "a.b[0][2]");
  });

  it("reports one failure per bad field with its path and an actionable reason", () => {
    const r = checkInputs(schema, { name: "", hosts: [{ address: 7 }], mode: "turbo", extra: 1 });
    assert.equal(r.ok, false);
    if (r.ok) return;
    const byProp = Object.fromEntries(r.failures.map((f) => [f.property, f.reason]));
    assert.match(byProp.name!, /must not be empty/);
    assert.match(byProp["hosts[0].address"]!, /expected string, got number 7/);
    assert.match(byProp.mode!, /must be one of "fast", "safe"; got "turbo"/);
    assert.match(byProp.extra!, /unknown field\(s\) 'extra'/);
  });

  it("says a missing required field is required", () => {
    const r = checkInputs(schema, { hosts: [{ address: "a" }] });
    assert.ok(!r.ok && r.failures.some((f) => f.property === "name" && /is required/.test(f.reason)));
  });

  it("applies defaults on success", () => {
    const r = checkInputs(schema, { name: "x", hosts: [{ address: "a" }] });
    assert.ok(r.ok);
    if (r.ok) assert.deepEqual(r.value, { name: "x", hosts: [{ address: "a", port: 443 }], mode: "safe" });
  });

  it("never echoes the value of a secret field", () => {
    const r = checkInputs(schema, { name: "x", hosts: [{ address: "a" }], password: "hunter2" }, [
      "password",
    ]);
    assert.ok(!r.ok);
    if (!r.ok) {
      assert.equal(r.failures.length, 1);
      assert.ok(!r.failures[0]!.reason.includes("hunter2"), r.failures[0]!.reason);
    }
  });

  it("does not blame the user for values unknown during preview", () => {
    const r = checkInputs(schema, { name: UNKNOWN, hosts: UNKNOWN });
    assert.ok(!r.ok);
    if (!r.ok) {
      assert.deepEqual(r.failures, []);
      assert.equal(r.onlyUnknowns, true);
    }
  });

  it("property: any failure names a path that exists in the input or the schema", () => {
    fc.assert(
      fc.property(fc.anything(), (input) => {
        const r = checkInputs(schema, input);
        if (r.ok) return;
        for (const f of r.failures) {
          assert.ok(f.property.length > 0);
          assert.ok(f.reason.length > 0);
        }
      }),
      { numRuns: 300, seed: 42 },
    );
  });
});
