// The shipped Grafana dashboard (deploy/grafana/vmha-dashboard.json): it parses, every panel's
// PromQL uses only metrics the agent (or `vmha drill --metrics-file`) really exports (names read
// from the metrics module at test time), every expression parses in promtool (as a recording
// rule of a rules file written on the fly, with Grafana's variables filled in), and the layout
// has no overlapping panels.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import {
  exportedMetricNames,
  findTool,
  promqlMetricNames,
  ROOT,
  run,
  usable,
} from "../../support/observability";

interface Target {
  refId: string;
  expr?: string;
  datasource?: { type?: string; uid?: string };
}

interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type?: string; uid?: string };
  targets?: Target[];
  panels?: Panel[];
}

interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: Array<{ name: string; type: string; query?: unknown; definition?: string }> };
}

const FILE = path.join(ROOT, "deploy", "grafana", "vmha-dashboard.json");
const dashboard = JSON.parse(fs.readFileSync(FILE, "utf8")) as Dashboard;

/** Every panel, those inside collapsed rows included. */
function allPanels(ps: Panel[]): Panel[] {
  return ps.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
}

const panels = allPanels(dashboard.panels);
const queryPanels = panels.filter((p) => p.type !== "row");
const exprs = queryPanels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p, target: t })));

/** Grafana's variables as promtool must see them: the "All" regex and typical intervals. */
function fillVariables(expr: string): string {
  return (
    expr
      .replaceAll("$__rate_interval", "5m")
      .replaceAll("$__interval", "1m")
      .replaceAll("$__range", "1h")
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not JS.
      .replaceAll("${cluster}", ".*")
      .replaceAll("$cluster", ".*")
  );
}

describe("Grafana dashboard (deploy/grafana/vmha-dashboard.json)", () => {
  it("is a dashboard with query panels, each with at least one PromQL target", () => {
    assert.equal(typeof dashboard.uid, "string");
    assert.ok(dashboard.title);
    assert.ok(dashboard.schemaVersion >= 36);
    assert.ok(queryPanels.length >= 10, `${queryPanels.length} panels`);
    for (const p of queryPanels) {
      assert.ok((p.targets ?? []).length > 0, `panel "${p.title}" has targets`);
      for (const t of p.targets ?? []) assert.ok(t.expr?.trim(), `panel "${p.title}" ${t.refId} has an expr`);
    }
    assert.equal(new Set(panels.map((p) => p.id)).size, panels.length, "panel ids are unique");
  });

  it("the metric-name reader sees through functions, label lists, ranges and variables", () => {
    assert.deepEqual(
      promqlMetricNames(
        'histogram_quantile(0.99, sum by (le) (rate(a_bucket{cluster=~"$cluster"}[$__rate_interval]))) / on(x) group_left b offset 5m > 1e3',
      ),
      ["a_bucket", "b"],
    );
  });

  it("every metric a panel or variable queries is exported by the agent or the drill (read from the metrics module)", async () => {
    const exported = await exportedMetricNames();
    const unknown: string[] = [];
    for (const { panel, target } of exprs) {
      const used = promqlMetricNames(target.expr!);
      assert.ok(used.length > 0, `panel "${panel.title}" ${target.refId} queries a metric`);
      for (const m of used) if (!exported.has(m)) unknown.push(`"${panel.title}" ${target.refId}: ${m}`);
    }
    for (const v of dashboard.templating.list) {
      const m = /label_values\(\s*([A-Za-z_:][A-Za-z0-9_:]*)/.exec(v.definition ?? "");
      if (m && !exported.has(m[1]!)) unknown.push(`variable ${v.name}: ${m[1]}`);
    }
    assert.deepEqual(unknown, []);
  });

  it("every panel queries the data source variable, so the dashboard imports into any Grafana", () => {
    assert.ok(dashboard.templating.list.some((v) => v.name === "datasource" && v.type === "datasource"));
    for (const { panel, target } of exprs) {
      const ds = target.datasource ?? panel.datasource;
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not JS.
      assert.equal(ds?.uid, "${datasource}", `panel "${panel.title}" ${target.refId}`);
    }
  });

  it("panels do not overlap", () => {
    const cells = new Map<string, string>();
    for (const p of panels) {
      const g = p.gridPos;
      assert.ok(g.x >= 0 && g.w > 0 && g.x + g.w <= 24, `panel "${p.title}" fits the 24-column grid`);
      for (let x = g.x; x < g.x + g.w; x++)
        for (let y = g.y; y < g.y + g.h; y++) {
          const k = `${x},${y}`;
          assert.equal(cells.get(k), undefined, `"${p.title}" overlaps "${cells.get(k)}" at ${k}`);
          cells.set(k, p.title);
        }
    }
  });

  it("promtool parses every expression (as recording rules of a generated rules file)", (t) => {
    if (!usable(t, findTool("promtool", "prometheus"))) return;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vmha-dashboard-"));
    try {
      // JSON strings are valid YAML scalars: no YAML library needed to write the file
      const rules = exprs.map(
        ({ panel, target }) =>
          `      - record: vmha_dashboard:panel_${panel.id}_${target.refId}\n        expr: ${JSON.stringify(fillVariables(target.expr!))}`,
      );
      const file = path.join(dir, "dashboard-exprs.yml");
      fs.writeFileSync(file, `groups:\n  - name: vmha-dashboard\n    rules:\n${rules.join("\n")}\n`);
      const r = run("promtool", ["check", "rules", file]);
      assert.equal(r.status, 0, r.out);
      assert.match(r.out, new RegExp(`SUCCESS: ${exprs.length} rules found`), r.out);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
