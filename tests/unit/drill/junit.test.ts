// `vmha drill --junit` and `--metrics-file` on synthetic drills (no lab): a drill that passed, one
// that failed (a resource never recovered, one late, a double run, text that needs escaping) and
// drills that stopped with an error (before the power-off, at the power-off, at the power-on).
// Every report is validated with xmllint against two JUnit schemas CI readers follow: Jenkins'
// xUnit plugin's and the stricter Ant one (tests/fixtures/junit, sources and licenses there).
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { XMLParser } from "fast-xml-parser";
import { drillCases, drillJUnit } from "../../../provider/runtime/drill/junit";
import { type DrillReport, drillMetricsText, drillOutcome } from "../../../provider/runtime/drill/report";
import type { DrillTimeline } from "../../../provider/runtime/drill/timeline";
import { DrillMetrics } from "../../../provider/runtime/metrics/metrics";
import { findTool, ROOT, run, usable } from "../../support/observability";

const SCHEMAS = ["jenkins-junit.xsd", "JUnit.xsd"].map((f) =>
  path.join(ROOT, "tests", "fixtures", "junit", f),
);
const xmllint = findTool("xmllint", "libxml2-utils");
const promtool = findTool("promtool", "prometheus");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vmha-junit-"));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function report(p: Partial<DrillReport> & { timeline?: DrillTimeline }): DrillReport {
  const { timeline, ...rest } = p;
  return {
    cluster: "prod",
    host: "h2",
    limitMs: 30_000,
    startedAt: new Date("2026-12-01T03:00:00.250Z"),
    durationMs: 6_200,
    hostname: "ci-runner-1",
    lines: ["drill of h2: powered off through its fence device at 0.00 s"],
    ...(timeline ? { result: { timeline, powerOffMs: 26, powerOnMs: 40, rejoinedMs: 2_900 } } : {}),
    ...rest,
  };
}

const passed = report({
  timeline: {
    host: "h2",
    detectedMs: 1_060,
    fencedMs: 1_090,
    fencedHow: "device confirmed off",
    resources: [
      { name: "web", from: "h2", to: "h1", runningMs: 1_452 },
      { name: "db", from: "h2", to: "h3", runningMs: 1_610 },
    ],
    doubleRuns: [],
  },
});

const failed = report({
  host: "h3",
  lines: ["fence agent said \u001b[31mOK\u001b[0m", 'a line with <xml> & "quotes"'],
  timeline: {
    host: "h3",
    detectedMs: 1_200,
    fencedMs: 1_300,
    fencedHow: "fenced by deadline",
    resources: [
      { name: "web", from: "h3" },
      { name: "db<&\"'>", from: "h3", to: "h1", runningMs: 31_200 },
      { name: "cache", from: "h3", to: "h2", runningMs: 1_800 },
    ],
    doubleRuns: [{ atMs: 1_750, resource: "cache", hosts: ["h2", "h3"] }],
  },
});

const beforePowerOff = report({
  error: { step: "prepare", message: "drill h2: the host is not online (no lease); nothing to drill" },
});
const atPowerOff = report({
  result: { timeline: { host: "h2", resources: [{ name: "web", from: "h2" }], doubleRuns: [] } },
  error: { step: "power-off", message: "fence_ipmilan h2: off failed: Connection timed out" },
});
const atPowerOn = report({
  result: {
    timeline: {
      host: "h2",
      detectedMs: 1_000,
      fencedMs: 1_020,
      resources: [{ name: "web", from: "h2", to: "h1", runningMs: 1_400 }],
      doubleRuns: [],
    },
    powerOffMs: 30,
  },
  error: { step: "power-on", message: "drill h2: powering the host back on failed: Unable to connect" },
});

interface Parsed {
  suite: Record<string, string>;
  cases: Array<Record<string, unknown>>;
}

function parse(xml: string): Parsed {
  const doc = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: "",
    parseAttributeValue: false,
    isArray: (name) => name === "testsuite" || name === "testcase",
  }).parse(xml) as { testsuites: { testsuite: Array<Record<string, unknown>> } };
  assert.equal(doc.testsuites.testsuite.length, 1, "one testsuite per drill");
  const suite = doc.testsuites.testsuite[0]!;
  return {
    suite: suite as Record<string, string>,
    cases: suite["testcase"] as Array<Record<string, unknown>>,
  };
}

/** Validates against both schemas; returns xmllint's complaints about the file, if any. */
function validate(name: string, xml: string): string[] {
  const file = path.join(dir, `${name}.xml`);
  fs.writeFileSync(file, xml);
  return SCHEMAS.flatMap((xsd) => {
    const r = run("xmllint", ["--noout", "--schema", xsd, file]);
    return r.status === 0 ? [] : [`${path.basename(xsd)}: ${r.out}`];
  });
}

describe("vmha drill --junit", () => {
  it("a passed drill: every step a test case with its time, no failures", () => {
    const { suite, cases } = parse(drillJUnit(passed));
    assert.equal(suite["name"], "vmha drill h2 (cluster prod)");
    assert.equal(suite["tests"], "7");
    assert.equal(suite["failures"], "0");
    assert.equal(suite["errors"], "0");
    assert.equal(suite["time"], "6.200");
    assert.equal(suite["timestamp"], "2026-12-01T03:00:00");
    assert.deepEqual(
      cases.map((c) => [c["name"], c["time"]]),
      [
        ["power off h2 through its fence device", "0.026"],
        ["h2 detected down (its lease gone)", "1.060"],
        ["h2 fenced", "1.090"],
        ["web runs on another host", "1.452"],
        ["db runs on another host", "1.610"],
        ["no resource ran on two hosts", "0.000"],
        ["power on h2, online again", "2.940"],
      ],
    );
    assert.ok(cases.every((c) => c["classname"] === "vmha.drill.prod.h2"));
    assert.ok(cases.every((c) => !("failure" in c) && !("error" in c)));
  });

  it("a failed drill: a failure with its message for each resource not recovered in time and for the double run", () => {
    const { suite, cases } = parse(drillJUnit(failed));
    assert.equal(suite["failures"], "3");
    assert.equal(suite["errors"], "0");
    const failure = (name: string) =>
      (cases.find((c) => c["name"] === name)?.["failure"] as Record<string, string> | undefined)?.["message"];
    assert.equal(
      failure("web runs on another host"),
      "web did not run on another host within 30.00 s (it ran on h3)",
    );
    assert.equal(
      failure(`db<&"'> runs on another host`),
      `db<&"'> ran on h1 after 31.20 s, past the limit of 30.00 s`,
      "escaped in the XML, intact when read back",
    );
    assert.equal(failure("cache runs on another host"), undefined, "recovered in time");
    assert.equal(
      failure("no resource ran on two hosts"),
      "split brain: 1 sighting(s) of a resource on two hosts",
    );
    const web = cases.find((c) => c["name"] === "web runs on another host")!;
    assert.equal(web["time"], "30.000", "a resource that never recovered counts the whole wait");
    const split = cases.find((c) => c["name"] === "no resource ran on two hosts")!["failure"] as Record<
      string,
      string
    >;
    assert.equal(split["#text"], "cache on h2 and h3 at 1.75 s");
    assert.equal(split["type"], "DrillFailure");
  });

  it("a drill that stopped with an error: an error where it stopped, what it measured before it", () => {
    const prep = parse(drillJUnit(beforePowerOff));
    assert.deepEqual(
      prep.cases.map((c) => c["name"]),
      ["prepare the drill of h2"],
    );
    assert.equal((prep.cases[0]!["error"] as Record<string, string>)["type"], "DrillError");
    assert.equal(prep.suite["errors"], "1");

    const off = parse(drillJUnit(atPowerOff));
    assert.deepEqual(
      off.cases.map((c) => c["name"]),
      ["power off h2 through its fence device"],
    );
    assert.match((off.cases[0]!["error"] as Record<string, string>)["message"]!, /Connection timed out/);

    const on = parse(drillJUnit(atPowerOn));
    assert.deepEqual(
      on.cases.map((c) => [c["name"], "error" in c, "failure" in c]),
      [
        ["power off h2 through its fence device", false, false],
        ["h2 detected down (its lease gone)", false, false],
        ["h2 fenced", false, false],
        ["web runs on another host", false, false],
        ["no resource ran on two hosts", false, false],
        ["power on h2, online again", true, false],
      ],
    );
    assert.equal(on.suite["errors"], "1");
    assert.equal(on.suite["failures"], "0");
  });

  it("a drill left powered off (--no-restore) has no power-on case", () => {
    const r = report({
      result: {
        timeline: { host: "h2", detectedMs: 1, fencedMs: 2, resources: [], doubleRuns: [] },
        powerOffMs: 20,
      },
    });
    assert.deepEqual(
      drillCases(r).map((c) => c.name),
      [
        "power off h2 through its fence device",
        "h2 detected down (its lease gone)",
        "h2 fenced",
        "no resource ran on two hosts",
      ],
    );
  });

  it("control characters (fence agents print colours) are dropped: the report stays well-formed XML", () => {
    const xml = drillJUnit(failed);
    assert.ok(!xml.includes("\u001b"), "no escape character left");
    assert.match(xml, /fence agent said \[31mOK\[0m/);
    assert.match(xml, /a line with &lt;xml&gt; &amp; &quot;quotes&quot;/);
  });

  it("xmllint validates every report against the Jenkins and the Ant JUnit schemas", (t) => {
    if (!usable(t, xmllint)) return;
    const all = { passed, failed, beforePowerOff, atPowerOff, atPowerOn };
    for (const [name, r] of Object.entries(all)) assert.deepEqual(validate(name, drillJUnit(r)), [], name);
  });

  it("the validation is real: xmllint rejects a report missing what the schemas require", (t) => {
    if (!usable(t, xmllint)) return;
    // a test case without classname: optional for Jenkins, required by the Ant schema
    const complaints = validate("no-classname", drillJUnit(passed).replace(/ classname="[^"]*"/, ""));
    assert.equal(complaints.length, 1, "the lenient Jenkins schema accepts it, the Ant one does not");
    assert.match(complaints[0]!, /^JUnit\.xsd: .*classname/s);
    const noName = drillJUnit(passed).replace(/<testcase name="[^"]*"/, "<testcase");
    assert.equal(validate("no-name", noName).length, 2, "both require a test case's name");
  });
});

describe("vmha drill --metrics-file", () => {
  it("a passed drill: passed 1, when it ended, how long the recovery took", async () => {
    const o = drillOutcome(passed);
    const endedAt = (Date.parse("2026-12-01T03:00:00.250Z") + 6_200) / 1000;
    assert.deepEqual(o, { cluster: "prod", host: "h2", passed: true, endedAt, recoverySeconds: 1.61 });
    const m = new DrillMetrics();
    m.record(o);
    const text = await m.registry.metrics();
    assert.match(text, /^vmha_drill_passed\{cluster="prod",host="h2"\} 1$/m);
    assert.match(
      text,
      new RegExp(`^vmha_drill_last_run_timestamp_seconds\\{cluster="prod",host="h2"\\} ${endedAt}$`, "m"),
    );
    assert.match(text, /^vmha_drill_recovery_seconds\{cluster="prod",host="h2"\} 1\.61$/m);
  });

  it("a failed drill or one that stopped with an error: passed 0 and no recovery time", async () => {
    for (const r of [failed, beforePowerOff, atPowerOn]) {
      const o = drillOutcome(r);
      assert.equal(o.passed, false);
      assert.equal(o.recoverySeconds, r === atPowerOn ? 1.4 : undefined);
    }
    const m = new DrillMetrics();
    m.record(drillOutcome(failed));
    const text = await m.registry.metrics();
    assert.match(text, /^vmha_drill_passed\{cluster="prod",host="h3"\} 0$/m);
    assert.doesNotMatch(text, /^vmha_drill_recovery_seconds\{/m);
  });

  it("the file is valid Prometheus text format (promtool check metrics), last line ended", async (t) => {
    if (!usable(t, promtool)) return;
    for (const r of [passed, failed]) {
      const text = await drillMetricsText(r);
      assert.ok(text.endsWith("\n"));
      const file = path.join(dir, "drill.prom");
      fs.writeFileSync(file, text);
      const res = run("sh", ["-c", 'promtool check metrics < "$1"', "sh", file]);
      assert.equal(res.status, 0, res.out);
    }
  });

  it("vmha drill --help offers --junit and --metrics-file", () => {
    const r = run(process.execPath, [
      path.join(ROOT, "dist", "provider", "runtime", "cli", "vmha.js"),
      "drill",
      "--help",
    ]);
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /--junit <file>/);
    assert.match(r.out, /--metrics-file <file>/);
  });
});
