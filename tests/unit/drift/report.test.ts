import * as assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { EngineEvent, OpType } from "@pulumi/pulumi/automation";
import { buildReport, formatReport } from "../../../provider/core/drift/report";

function outputsEvent(
  name: string,
  op: OpType,
  old: { inputs: Record<string, unknown>; outputs: Record<string, unknown> },
  now: { inputs: Record<string, unknown>; outputs: Record<string, unknown> },
): EngineEvent {
  const urn = `urn:pulumi:prod::p::pulumi-nodejs:dynamic/vmha-kvm:VirtualMachine::${name}`;
  const type = "pulumi-nodejs:dynamic/vmha-kvm:VirtualMachine";
  const state = (s: typeof old) => ({ type, urn, custom: true, id: name, parent: "", provider: "", ...s });
  return {
    sequence: 1,
    timestamp: 0,
    resOutputsEvent: { metadata: { op, urn, type, provider: "", old: state(old), new: state(now) } },
  } as EngineEvent;
}

describe("drift report", () => {
  const at = new Date("2026-11-26T00:00:00Z");
  it("reports changed inputs, not status outputs", () => {
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
    assert.equal(report.resources, 2);
    assert.deepEqual(formatReport(report), [
      "drift: vmha-kvm:VirtualMachine web: state",
      "1 of 2 resource(s) of stack prod drifted",
    ]);
  });

  it("reports a resource deleted outside Pulumi", () => {
    const e = outputsEvent("gone", "delete", { inputs: {}, outputs: {} }, { inputs: {}, outputs: {} });
    const r = buildReport("s", [e], at);
    assert.deepEqual(formatReport(r), [
      "drift: vmha-kvm:VirtualMachine gone: deleted outside Pulumi",
      "1 of 1 resource(s) of stack s drifted",
    ]);
  });
});
