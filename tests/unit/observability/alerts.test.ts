// The shipped Prometheus alert rules (deploy/prometheus/vmha-alerts.yml): promtool accepts
// them, their unit tests with synthetic series pass (each alert fires when it should and not
// before its `for:` or on healthy series), every alert has such a test, and every metric they
// use is one the agent (or `vmha drill --metrics-file`) really exports.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { AgentMetrics } from "../../../provider/runtime/metrics/metrics";
import {
  exportedMetricNames,
  findTool,
  promqlMetricNames,
  ROOT,
  run,
  usable,
} from "../../support/observability";

const DIR = path.join(ROOT, "deploy", "prometheus");
const RULES = path.join(DIR, "vmha-alerts.yml");
const RULE_TESTS = path.join(DIR, "vmha-alerts.test.yml");

interface Rule {
  alert: string;
  expr: string;
  /** `key: value` lines of the rule's labels and annotations (folded values joined). */
  fields: Record<string, string>;
}

/**
 * The alerts of the rules file. A YAML library is not a dependency of the package (and adding
 * one changes package-lock.json, which reinstalls node_modules in every checkout), so this reads
 * the subset the file uses: `- alert:` starts a rule; `key: value` and `key: >-` with more
 * indented lines after it. promtool parses the real YAML; the count check below proves this
 * reader found every rule promtool found.
 */
function readRules(text: string): Rule[] {
  const rules: Rule[] = [];
  const lines = text.split("\n");
  let cur: Rule | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const start = /^\s*- alert:\s*(\S+)\s*$/.exec(line);
    if (start) {
      cur = { alert: start[1]!, expr: "", fields: {} };
      rules.push(cur);
      continue;
    }
    const kv = /^(\s*)([a-z_]+):\s*(.*)$/.exec(line);
    if (!cur || !kv) continue;
    const [, indent, key, rest] = kv as unknown as [string, string, string, string];
    let value = rest.trim();
    if (value === ">-" || value === ">") {
      const parts: string[] = [];
      while (i + 1 < lines.length) {
        const next = lines[i + 1]!;
        if (next.trim() !== "" && next.search(/\S/) <= indent.length) break;
        parts.push(next.trim());
        i++;
      }
      value = parts.filter(Boolean).join(" ");
    }
    value = value.replace(/^"(.*)"$/, "$1");
    if (key === "expr") cur.expr = value;
    else cur.fields[key] = value;
  }
  return rules;
}

const rules = readRules(fs.readFileSync(RULES, "utf8"));
const promtool = findTool("promtool", "prometheus");

describe("Prometheus alert rules (deploy/prometheus/vmha-alerts.yml)", () => {
  it("promtool check rules accepts every rule", (t) => {
    if (!usable(t, promtool)) return;
    const r = run("promtool", ["check", "rules", RULES]);
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, new RegExp(`SUCCESS: ${rules.length} rules found`), r.out);
  });

  it("promtool test rules: each alert fires on its synthetic series, and stays quiet when it should", (t) => {
    if (!usable(t, promtool)) return;
    const r = run("promtool", ["test", "rules", path.basename(RULE_TESTS)], DIR);
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /SUCCESS/);
  });

  it("every alert has a case in the rule tests, and the tests name no alert that does not exist", () => {
    const tested = new Set(
      [...fs.readFileSync(RULE_TESTS, "utf8").matchAll(/^\s*alertname:\s*(\S+)\s*$/gm)].map((m) => m[1]!),
    );
    const names = rules.map((r) => r.alert);
    assert.deepEqual(
      names.filter((n) => !tested.has(n)),
      [],
      "alerts without a promtool test",
    );
    assert.deepEqual(
      [...tested].filter((n) => !names.includes(n)),
      [],
      "tests of alerts that do not exist",
    );
    assert.equal(new Set(names).size, names.length, "alert names are unique");
  });

  it("the issue's alerts are all there", () => {
    const names = rules.map((r) => r.alert);
    for (const want of [
      "VmhaHostFenced",
      "VmhaHostNotOnline",
      "VmhaFencingFailed",
      "VmhaFencingTakingLong",
      "VmhaHostIsolated",
      "VmhaNoPrimary",
      "VmhaFailoverHeadroomLost",
      "VmhaResourceFailed",
      "VmhaResourceNotRecovered",
      "VmhaLeaseRenewalSlow",
      "VmhaDrillFailed",
    ])
      assert.ok(names.includes(want), `${want} is missing`);
  });

  it("every metric an alert uses is exported by the agent or the drill (names read from the metrics module)", async () => {
    const exported = await exportedMetricNames();
    const unknown: string[] = [];
    for (const r of rules) {
      assert.notEqual(r.expr, "", `${r.alert} has an expr`);
      const used = promqlMetricNames(r.expr);
      assert.ok(used.length > 0, `${r.alert} uses a metric`);
      for (const m of used) if (!exported.has(m)) unknown.push(`${r.alert}: ${m}`);
    }
    assert.deepEqual(unknown, []);
  });

  it("every alert says how bad it is and what it means", () => {
    for (const r of rules) {
      assert.match(r.fields["severity"] ?? "", /^(critical|warning)$/, `${r.alert} severity`);
      assert.ok(r.fields["summary"], `${r.alert} summary`);
      assert.ok((r.fields["description"] ?? "").length > 40, `${r.alert} description`);
    }
  });
});

describe("the agent's metrics exposition", () => {
  it("promtool check metrics finds nothing wrong with the agent's own metrics", async (t) => {
    if (!usable(t, promtool)) return;
    const m = new AgentMetrics("h1");
    m.observeLease(
      () => ({ id: "1", generation: 1, lastAckSentAt: 0, ttlMs: 1000 }),
      () => 120,
    );
    m.fenceOps.inc({ host: "h2", result: "off" });
    m.fenceSeconds.observe(0.03);
    m.hostState.set({ host: "h2", state: "fenced" }, 1);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vmha-metrics-"));
    try {
      const file = path.join(dir, "agent.prom");
      fs.writeFileSync(file, `${await m.registry.metrics()}\n`);
      const r = run("sh", ["-c", 'promtool check metrics < "$1"', "sh", file]);
      // prom-client's own default gauges vmha_agent_nodejs_active_*_total are named like counters
      const ours = r.out
        .split("\n")
        .filter((l) => l.trim() && !/^vmha_agent_nodejs_active_\w+_total non-counter/.test(l));
      assert.deepEqual(ours, []);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
