// Which placement names an entry refers to that the spec lacks, by input property; how they are
// reported when still missing at write time (review finding 5).
import * as assert from "node:assert/strict";
import { describe, it } from "node:test";
import { UNKNOWN } from "../../../provider/core/check";
import { missingRefMessage, missingRefs, selfRefs, withoutRefs } from "../../../provider/kvm/entry-refs";
import type { RawSpec } from "../../../provider/kvm/spec-store";

const doc = {
  version: 1,
  name: "prod",
  hosts: { h1: { cpu: 4, memoryMiB: 4096 } },
  resources: { web: { kind: "vm" } },
} as RawSpec;

describe("placement references", () => {
  it("names each missing host or resource by its input property", () => {
    const m = missingRefs(
      { preferredHosts: ["h1", "h4"], bannedHosts: ["h9"], colocateWith: ["web", "web2"], after: ["db"] },
      doc,
    );
    assert.deepEqual(
      m.map((x) => [x.property, x.kind, x.name]),
      [
        ["placement.preferredHosts[1]", "host", "h4"],
        ["placement.bannedHosts[0]", "host", "h9"],
        ["placement.colocateWith[1]", "resource", "web2"],
        ["placement.after[0]", "resource", "db"],
      ],
    );
  });

  it("skips values unknown during preview", () => {
    assert.deepEqual(missingRefs({ colocateWith: [UNKNOWN], bannedHosts: [UNKNOWN] }, doc), []);
  });

  it("does not take names inherited from Object.prototype as present", () => {
    assert.equal(missingRefs({ after: ["constructor"] }, doc).length, 1);
  });

  it("refuses a resource that names itself at once (no write can fix that)", () => {
    assert.deepEqual(selfRefs({ after: ["db", "web"] }, "web"), [
      { property: "placement.after[1]", reason: "names web itself; a resource cannot start after itself" },
    ]);
  });

  it("evaluates the rest of an entry without the deferred references", () => {
    const e = { kind: "ip", placement: { colocateWith: ["web", "web2"], after: ["web2"] } };
    assert.deepEqual(withoutRefs(e, missingRefs(e.placement, doc)).placement, {
      colocateWith: ["web"],
      after: [],
    });
  });

  it("at write time says which field, and that an output orders the creates", () => {
    const msg = missingRefMessage(
      "virtual IP vip2",
      "prod",
      doc,
      missingRefs({ colocateWith: ["web2"] }, doc),
    );
    assert.match(
      msg,
      /^virtual IP vip2: placement\.colocateWith\[0\] names resource web2, which is not in cluster prod's spec/,
    );
    assert.match(msg, /pass its output \(for example colocateWith: \[vm\.name\]\)/);
    const hostMsg = missingRefMessage("vm web", "prod", doc, missingRefs({ bannedHosts: ["h9"] }, doc));
    assert.match(
      hostMsg,
      /placement\.bannedHosts\[0\] names host h9, which cluster prod does not have \(hosts: h1\)/,
    );
  });
});
