// Scenario folders: tests/scenarios/<name>/{README.md, cluster.json, events.txt, log.expect}.
import * as fs from "node:fs";
import * as path from "node:path";
import { parseEvents } from "./events";
import { runScenario } from "./runner";

export interface ScenarioOutcome {
  name: string;
  log: string;
  expected: string | undefined;
  violations: string[];
}

export function isScenarioDir(dir: string): boolean {
  return fs.existsSync(path.join(dir, "cluster.json")) && fs.existsSync(path.join(dir, "events.txt"));
}

export function listScenarios(root: string): string[] {
  return fs
    .readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory() && isScenarioDir(path.join(root, e.name)))
    .map((e) => path.join(root, e.name))
    .sort();
}

export async function replay(dir: string): Promise<ScenarioOutcome> {
  const cluster = JSON.parse(fs.readFileSync(path.join(dir, "cluster.json"), "utf8"));
  const events = parseEvents(fs.readFileSync(path.join(dir, "events.txt"), "utf8"));
  const r = await runScenario(cluster, events);
  const expectPath = path.join(dir, "log.expect");
  return {
    name: path.basename(dir),
    log: `${r.lines.join("\n")}\n`,
    expected: fs.existsSync(expectPath) ? fs.readFileSync(expectPath, "utf8") : undefined,
    violations: r.violations,
  };
}

/** A short unified-style diff: the first differing region with 3 lines of context. */
export function firstDiff(expected: string, actual: string): string {
  const a = expected.split("\n");
  const b = actual.split("\n");
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  if (i === a.length && i === b.length) return "";
  const from = Math.max(0, i - 3);
  const out = [`@@ line ${i + 1} @@`];
  for (let k = from; k < i; k++) out.push(`  ${a[k]}`);
  for (let k = i; k < Math.min(a.length, i + 6); k++) out.push(`- ${a[k]}`);
  for (let k = i; k < Math.min(b.length, i + 6); k++) out.push(`+ ${b[k]}`);
  return out.join("\n");
}
