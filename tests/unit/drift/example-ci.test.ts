// examples/drift-ci/drift.yml held to the drift CLI it runs: valid YAML, every flag it passes is
// one the CLI has (its --help), the exit codes it branches on are the CLI's, and its jq lines
// read a report the CLI builds.
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { buildReport, DRIFT_EXIT_CODE, exitCode } from "../../../provider/core/drift/report";

const ROOT = path.resolve(__dirname, "..", "..", "..", "..");
const WORKFLOW = path.join(ROOT, "examples", "drift-ci", "drift.yml");
const CLI = path.join(ROOT, "dist", "provider", "core", "drift", "cli.js");
const text = fs.readFileSync(WORKFLOW, "utf8");

interface Step {
  name?: string;
  run?: string;
  if?: string;
}
interface Workflow {
  on: Record<string, unknown>;
  permissions: Record<string, string>;
  jobs: Record<string, { steps: Step[] }>;
}

// js-yaml comes with @pulumi/pulumi; only its load() is needed.
const yaml = require("js-yaml") as { load(s: string): unknown };
const workflow = yaml.load(text) as Workflow;
const steps = Object.values(workflow.jobs).flatMap((j) => j.steps);
const runs = steps.map((s) => s.run ?? "").join("\n");

describe("examples/drift-ci/drift.yml", () => {
  it("is a scheduled, read-only workflow", () => {
    assert.ok(workflow.on["schedule"] && "workflow_dispatch" in workflow.on);
    assert.deepEqual(workflow.permissions, { contents: "read" });
  });

  it("passes only flags the drift CLI has, with values it accepts", () => {
    const line = runs.split("\n").find((l) => l.includes("vmha-drift"));
    assert.ok(line, "the workflow runs vmha-drift");
    assert.match(line, /--format github/);
    assert.match(line, /--json - 2>&1 >/);
    const help = spawnSync(process.execPath, [CLI, "--help"], { encoding: "utf8" });
    assert.equal(help.status, 0, help.stderr);
    for (const flag of line.match(/--[a-z-]+/g) ?? [])
      assert.ok(help.stdout.includes(flag), `${flag} in --help`);
    assert.match(help.stdout.replace(/\s+/g, " "), /choices: "text", "github"/);
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
      bin: Record<string, string>;
    };
    assert.equal(pkg.bin["vmha-drift"], "dist/provider/core/drift/cli.js", "npx vmha-drift is this CLI");
  });

  it("branches on the CLI's exit codes: 0 clean, 7 drift, anything else a failed check", () => {
    const fail = steps.find((s) => s.name === "Fail on drift or failed reads");
    assert.ok(fail?.run && fail.if === "steps.drift.outputs.code != '0'");
    assert.match(fail.run, new RegExp(`\\n?\\s*${DRIFT_EXIT_CODE}\\) echo "::error::stack \\$STACK drifted`));
    const clean = buildReport("prod", [], new Date());
    assert.equal(exitCode(clean), 0);
    assert.equal(exitCode({ ...clean, errors: [{ urn: "u", type: "t", name: "n", message: "m" }] }), 1);
  });

  it("its jq summary reads a report the CLI builds", () => {
    const type = "pulumi-nodejs:dynamic/vmha-vsphere:HaSettings";
    const urn = `urn:pulumi:prod::p::${type}::ha`;
    const state = (hostMonitoring: string) => ({
      type,
      urn,
      custom: true,
      id: "domain-c7",
      parent: "",
      provider: "",
      inputs: { hostMonitoring },
      outputs: { hostMonitoring },
    });
    const event = {
      sequence: 1,
      timestamp: 0,
      resOutputsEvent: {
        metadata: { op: "update", urn, type, provider: "", old: state("enabled"), new: state("disabled") },
      },
    } as unknown as EngineEvent;
    const report = buildReport("prod", [event], new Date("2026-12-01T00:00:00Z"), [
      { urn: "urn:x", type: "vmha-kvm:VirtualMachine", name: "web", message: "etcd unreachable" },
    ]);
    const file = path.join(
      fs.mkdtempSync(path.join(require("node:os").tmpdir(), "vmha-drift-ci-")),
      "drift.json",
    );
    fs.writeFileSync(file, JSON.stringify(report));
    const programs = [...text.matchAll(/jq -r '([^']+)' drift\.json/g)].map((m) => m[1]!);
    assert.equal(programs.length, 4, "the summary's four jq lines");
    const out = programs
      .map((p) => spawnSync("jq", ["-r", p, file], { encoding: "utf8" }))
      .map((r) => {
        assert.equal(r.status, 0, r.stderr);
        return r.stdout;
      })
      .join("");
    assert.match(out, /2 resources checked at 2026-12-01T00:00:00.000Z: 1 drifted, 1 could not be read/);
    assert.match(out, /- vmha-vsphere:HaSettings ha: hostMonitoring/);
    assert.match(out, /- could not read vmha-kvm:VirtualMachine web: etcd unreachable/);
    assert.match(out, /Fix: `pulumi up --refresh`/);
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  });
});
