// `vmha drill --junit <file>`: the drill as a JUnit XML report, so a CI system that runs drills
// on a schedule shows each one as a test suite. One <testsuite> per drill; one <testcase> per
// step (power-off, detection, fence, each resource's recovery with its time, no double run,
// power-on and rejoin). A step that did not go as a healthy cluster's would is a <failure>;
// a drill that could not run a step (device error, bad spec) is an <error>.
//
// The shape satisfies both the Jenkins xUnit plugin's JUnit schema and the stricter Ant-derived
// one (windyroad JUnit.xsd): <testsuites> without attributes, each <testsuite> with name,
// package, id, timestamp (no zone, UTC), hostname, tests, failures, errors and time, then
// <properties>, the test cases, <system-out> and <system-err>; at most one <failure> or <error>
// per test case, with a type. tests/unit/drill/junit.test.ts validates both with xmllint.
import { XMLBuilder } from "fast-xml-parser";
import type { DrillReport } from "./report";

interface Problem {
  kind: "failure" | "error";
  /** One line (attribute values lose their line breaks in XML). */
  message: string;
  /** Details for the element's body. */
  detail?: string;
}

interface Case {
  name: string;
  seconds: number;
  problem?: Problem;
}

const secs = (ms: number | undefined) => Math.max(0, ms ?? 0) / 1000;
const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** The drill's steps as test cases, in the order they happened. */
export function drillCases(r: DrillReport): Case[] {
  const h = r.host;
  const err = r.error;
  const asError = (step: string): Problem | undefined =>
    err?.step === step ? { kind: "error", message: err.message } : undefined;
  if (err?.step === "prepare" || !r.result)
    return [
      { name: `prepare the drill of ${h}`, seconds: secs(r.durationMs), ...problem(asError("prepare")) },
    ];
  const res = r.result;
  const t = res.timeline;
  const cases: Case[] = [
    {
      name: `power off ${h} through its fence device`,
      seconds: secs(res.powerOffMs),
      ...problem(asError("power-off")),
    },
  ];
  if (err?.step === "power-off") return cases;
  cases.push({
    name: `${h} detected down (its lease gone)`,
    seconds: secs(t.detectedMs),
    ...problem(
      t.detectedMs === undefined
        ? { kind: "failure", message: `the lease of ${h} was still there after ${fmt(r.limitMs)}` }
        : undefined,
    ),
  });
  cases.push({
    name: `${h} fenced`,
    seconds: secs(t.fencedMs),
    ...problem(
      t.fencedMs === undefined
        ? {
            kind: "failure",
            message: `${h} was not recorded as fenced within ${fmt(r.limitMs)} (no device confirmation, no self-fence deadline)`,
          }
        : undefined,
    ),
  });
  for (const x of t.resources) {
    let p: Problem | undefined;
    if (x.runningMs === undefined)
      p = {
        kind: "failure",
        message: `${x.name} did not run on another host within ${fmt(r.limitMs)} (it ran on ${x.from})`,
      };
    else if (x.runningMs > r.limitMs)
      p = {
        kind: "failure",
        message: `${x.name} ran on ${x.to} after ${fmt(x.runningMs)}, past the limit of ${fmt(r.limitMs)}`,
      };
    cases.push({
      name: `${x.name} runs on another host`,
      seconds: x.runningMs === undefined ? secs(r.limitMs) : secs(x.runningMs),
      ...problem(p),
    });
  }
  cases.push({
    name: "no resource ran on two hosts",
    seconds: 0,
    ...problem(
      t.doubleRuns.length
        ? {
            kind: "failure",
            message: `split brain: ${t.doubleRuns.length} sighting(s) of a resource on two hosts`,
            detail: t.doubleRuns
              .map((d) => `${d.resource} on ${d.hosts.join(" and ")} at ${fmt(d.atMs)}`)
              .join("\n"),
          }
        : undefined,
    ),
  });
  if (res.powerOnMs !== undefined || err?.step === "power-on" || err?.step === "rejoin") {
    cases.push({
      name: `power on ${h}, online again`,
      seconds: secs(res.powerOnMs) + secs(res.rejoinedMs),
      ...problem(
        asError("power-on") ??
          (err?.step === "rejoin" ? { kind: "failure", message: err.message } : undefined),
      ),
    });
  }
  return cases;
}

function problem(p: Problem | undefined): { problem?: Problem } {
  return p ? { problem: p } : {};
}

/** XML 1.0 allows no control characters but tab and line breaks (fence agents print some). */
function clean(s: string): string {
  // with the u flag, \p{Cs} matches only lone surrogate halves (a pair is one code point)
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point.
  return s.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|\p{Cs}/gu, "");
}

const oneLine = (s: string) => clean(s).replace(/\s*\n\s*/g, " ");

/** The ISO 8601 form the Ant schema accepts: no fraction, no zone (this one is UTC). */
function timestamp(d: Date): string {
  return d.toISOString().slice(0, 19);
}

export function drillJUnit(r: DrillReport): string {
  const cases = drillCases(r);
  const classname = `vmha.drill.${r.cluster}.${r.host}`;
  const properties = [
    ["cluster", r.cluster],
    ["host", r.host],
    ["limit_seconds", String(r.limitMs / 1000)],
    ...(r.result?.timeline.fencedHow ? [["fenced_how", r.result.timeline.fencedHow]] : []),
    ...(r.error ? [["error_step", r.error.step]] : []),
  ];
  const suite = {
    "@_name": `vmha drill ${r.host} (cluster ${r.cluster})`,
    "@_package": "vmha.drill",
    "@_id": "0",
    "@_timestamp": timestamp(r.startedAt),
    "@_hostname": r.hostname || "localhost",
    "@_tests": String(cases.length),
    "@_failures": String(cases.filter((c) => c.problem?.kind === "failure").length),
    "@_errors": String(cases.filter((c) => c.problem?.kind === "error").length),
    "@_time": secs(r.durationMs).toFixed(3),
    properties: {
      property: properties.map(([name, value]) => ({ "@_name": name, "@_value": clean(value!) })),
    },
    testcase: cases.map((c) => ({
      "@_name": oneLine(c.name),
      "@_classname": classname,
      "@_time": c.seconds.toFixed(3),
      ...(c.problem
        ? {
            [c.problem.kind]: {
              "@_type": c.problem.kind === "error" ? "DrillError" : "DrillFailure",
              "@_message": oneLine(c.problem.message),
              "#text": clean(c.problem.detail ?? c.problem.message),
            },
          }
        : {}),
    })),
    "system-out": clean(r.lines.join("\n")),
    "system-err": "",
  };
  const builder = new XMLBuilder({
    ignoreAttributes: false,
    attributeNamePrefix: "@_",
    format: true,
    suppressEmptyNode: true,
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n${builder.build({ testsuites: { testsuite: [suite] } })}`;
}
