// The drift report from engine events (pure): inputs not status, old and new values, secrets
// compared without being shown, failed reads, GitHub annotations, JSON and exit codes.
import * as assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { EngineEvent, OpType } from "@pulumi/pulumi/automation";
import {
  buildReport,
  exitCode,
  FIX_COMMAND,
  formatGithub,
  formatReport,
  SCHEMA_VERSION,
} from "../../../provider/core/drift/report";

type Bag = Record<string, unknown>;

function outputsEvent(
  name: string,
  op: OpType,
  old: { inputs: Bag; outputs: Bag },
  now: { inputs: Bag; outputs: Bag },
  type = "pulumi-nodejs:dynamic/vmha-kvm:VirtualMachine",
): EngineEvent {
  const urn = `urn:pulumi:prod::p::${type}::${name}`;
  const state = (s: typeof old) => ({ type, urn, custom: true, id: name, parent: "", provider: "", ...s });
  return {
    sequence: 1,
    timestamp: 0,
    resOutputsEvent: { metadata: { op, urn, type, provider: "", old: state(old), new: state(now) } },
  } as EngineEvent;
}

const at = new Date("2026-11-26T00:00:00Z");
const FIX_LINE = `run \`${FIX_COMMAND}\` to restore the declared state (a plain \`pulumi up\` does not see drift)`;

describe("drift report", () => {
  it("reports changed inputs with old and new values, not status outputs", () => {
    const report = buildReport(
      "prod",
      [
        outputsEvent(
          "web",
          "update",
          { inputs: { state: "started", priority: "high" }, outputs: { host: "h1" } },
          { inputs: { state: "disabled", priority: "high" }, outputs: { host: "h1" } },
        ),
        // A failover: the VM runs elsewhere now. Status, not configuration: no drift.
        outputsEvent(
          "db",
          "update",
          { inputs: { state: "started" }, outputs: { host: "h1", runningOn: ["h1"] } },
          { inputs: { state: "started" }, outputs: { host: "h2", runningOn: ["h2"] } },
        ),
      ],
      at,
    );
    assert.deepEqual(
      report.drifted.map((d) => [d.name, d.type, d.properties]),
      [["web", "vmha-kvm:VirtualMachine", ["state"]]],
    );
    assert.deepEqual(report.drifted[0]?.changes, [
      { property: "state", secret: false, old: "started", new: "disabled" },
    ]);
    assert.equal(report.resources, 2);
    assert.equal(report.schemaVersion, SCHEMA_VERSION);
    assert.deepEqual(formatReport(report), [
      'drift: vmha-kvm:VirtualMachine web: state "started" -> "disabled"',
      `1 of 2 resource(s) of stack prod drifted; ${FIX_LINE}`,
    ]);
    assert.equal(exitCode(report), 7);
  });

  it("reports a resource deleted outside Pulumi", () => {
    const e = outputsEvent("gone", "delete", { inputs: {}, outputs: {} }, { inputs: {}, outputs: {} });
    const r = buildReport("s", [e], at);
    assert.deepEqual(formatReport(r), [
      "drift: vmha-kvm:VirtualMachine gone: deleted outside Pulumi",
      `1 of 1 resource(s) of stack s drifted; ${FIX_LINE}`,
    ]);
  });

  it("says so when nothing drifted, and exits 0", () => {
    const same = { inputs: { a: 1 }, outputs: {} };
    const r = buildReport("s", [outputsEvent("ok", "same", same, same)], at);
    assert.deepEqual(formatReport(r), ["no drift: 1 resource(s) of stack s match their state"]);
    assert.equal(exitCode(r), 0);
  });

  it("detects drift in a secret input named by the provider, and never shows secret values", () => {
    const secret = "[secret]";
    const r = buildReport(
      "s",
      [
        outputsEvent(
          "prod",
          "update",
          { inputs: { addHosts: secret, name: "c" }, outputs: { hostIds: ["host-1", "host-2"] } },
          {
            inputs: { addHosts: secret, name: "c" },
            outputs: { hostIds: ["host-1"], driftedSecretInputs: ["addHosts"] },
          },
          "pulumi-nodejs:dynamic/vmha-vsphere:Cluster",
        ),
        // A secret whose shown form differs (an encrypted envelope): still never printed.
        outputsEvent(
          "fence",
          "update",
          {
            inputs: { password: { "4dabf18193072939515e22adb298388d": "x", ciphertext: "AAA" } },
            outputs: {},
          },
          {
            inputs: { password: { "4dabf18193072939515e22adb298388d": "x", ciphertext: "BBB" } },
            outputs: {},
          },
        ),
      ],
      at,
    );
    assert.deepEqual(
      r.drifted.map((d) => d.changes),
      [[{ property: "password", secret: true }], [{ property: "addHosts", secret: true }]],
    );
    const text = formatReport(r).join("\n");
    assert.match(text, /vmha-vsphere:Cluster prod: addHosts \(secret: changed, values not shown\)/);
    assert.doesNotMatch(text + JSON.stringify(r), /AAA|BBB|\[secret\]/);
  });

  it("reports a failed read as an error of that resource, keeps the others, and exits 1", () => {
    const r = buildReport(
      "s",
      [
        outputsEvent(
          "web",
          "update",
          { inputs: { state: "started" }, outputs: {} },
          { inputs: { state: "stopped" }, outputs: {} },
        ),
      ],
      at,
      [
        {
          urn: "urn:pulumi:s::p::pulumi-nodejs:dynamic/vmha-vsphere:AdmissionControl::admission",
          type: "vmha-vsphere:AdmissionControl",
          name: "admission",
          message: "vCenter unreachable",
        },
      ],
    );
    assert.equal(r.resources, 2);
    assert.deepEqual(formatReport(r), [
      'drift: vmha-kvm:VirtualMachine web: state "started" -> "stopped"',
      "error: vmha-vsphere:AdmissionControl admission: could not be read: vCenter unreachable",
      `1 of 2 resource(s) of stack s drifted; 1 could not be read (see the errors above); ${FIX_LINE}`,
    ]);
    assert.equal(exitCode(r), 1);
    const json = JSON.parse(JSON.stringify(r)) as { errors: unknown[]; fix: string };
    assert.equal(json.errors.length, 1);
    assert.equal(json.fix, "pulumi up --refresh");
  });

  it("writes GitHub Actions annotations, escaped", () => {
    const r = buildReport(
      "s",
      [
        outputsEvent(
          "web",
          "update",
          { inputs: { note: "a,b" }, outputs: {} },
          { inputs: { note: "50%\nnext: line" }, outputs: {} },
        ),
      ],
      at,
      [{ urn: "urn:x::y::t::z", type: "t", name: "z", message: "line 1\nline 2" }],
    );
    assert.deepEqual(formatGithub(r), [
      '::warning title=drift%3A vmha-kvm%3AVirtualMachine web::vmha-kvm:VirtualMachine web: note "a,b" -> "50%25\\nnext: line"',
      "::error title=drift check failed%3A t z::line 1%0Aline 2",
      `1 of 2 resource(s) of stack s drifted; 1 could not be read (see the errors above); ${FIX_LINE}`,
    ]);
  });
});
