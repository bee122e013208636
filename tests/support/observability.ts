// Shared by the tests of the shipped alert rules, the Grafana dashboard and the drill's JUnit
// report: where the repository is (tests run from dist/), the Debian tools they run (promtool,
// xmllint), the metric names the agent and the drill really export, and the metric names a
// PromQL expression uses.
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import type { TestContext } from "node:test";
import { AgentMetrics, DrillMetrics } from "../../provider/runtime/metrics/metrics";

/** The repository root (this file runs as dist/tests/support/observability.js). */
export const ROOT = path.resolve(__dirname, "..", "..", "..");

export interface Tool {
  name: string;
  /** The Debian package that has it (installed by scripts/setup/debs.js). */
  deb: string;
  found: boolean;
}

export function findTool(name: string, deb: string): Tool {
  const r = spawnSync(name, ["--version"], { encoding: "utf8" });
  return { name, deb, found: r.status === 0 };
}

/**
 * True when the tool can be used. Missing in CI is a failure (setup installs it there, so a
 * missing tool is a broken set-up, not a reason to pass without checking); missing on a
 * developer's machine skips the test and says how to install it.
 */
export function usable(t: TestContext, tool: Tool): boolean {
  if (tool.found) return true;
  const how = `apt-get install -y ${tool.deb} (or npm run setup, whose debs step installs it)`;
  const ci = process.env["CI"];
  if (ci && ci !== "false" && ci !== "0") assert.fail(`${tool.name} is not installed in CI: ${how}`);
  t.skip(`${tool.name} not found: ${how}`);
  return false;
}

export function run(cmd: string, args: string[], cwd = ROOT): { status: number | null; out: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8" });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/**
 * Every series name the agent's registry and the drill's registry can export (a histogram's
 * _bucket/_count/_sum included), read from the metrics module itself, not from a list here.
 */
export async function exportedMetricNames(): Promise<Set<string>> {
  const names = new Set<string>();
  for (const registry of [new AgentMetrics("test").registry, new DrillMetrics().registry]) {
    for (const m of await registry.getMetricsAsJSON()) {
      names.add(m.name);
      const type = String(m.type);
      if (type === "histogram") for (const s of ["_bucket", "_count", "_sum"]) names.add(`${m.name}${s}`);
      if (type === "summary") for (const s of ["_count", "_sum"]) names.add(`${m.name}${s}`);
    }
  }
  return names;
}

const KEYWORDS = new Set([
  "by",
  "without",
  "on",
  "ignoring",
  "group_left",
  "group_right",
  "bool",
  "and",
  "or",
  "unless",
  "offset",
  "inf",
  "nan",
  "atan2",
]);

/**
 * The metric names a PromQL expression selects: identifiers that are not functions,
 * aggregations, keywords, label names (in {...} or by/without/on/ignoring lists), numbers or
 * durations. Strings, ranges and Grafana variables inside them are dropped first.
 */
export function promqlMetricNames(expr: string): string[] {
  const s = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\[[^\]]*\]/g, " ")
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/gi, " ");
  const out = new Set<string>();
  for (const m of s.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const name = m[0];
    const at = m.index;
    if (/[0-9.$]/.test(s[at - 1] ?? "")) continue; // 10m, 1e3, $var
    if (
      s
        .slice(at + name.length)
        .trimStart()
        .startsWith("(")
    )
      continue; // function, aggregation
    if (KEYWORDS.has(name.toLowerCase())) continue;
    out.add(name);
  }
  return [...out].sort();
}
