#!/usr/bin/env node
// vmha simulator CLI.
//   sim <scenario-dir>...           print each scenario's log
//   sim --check <dir>...            diff against log.expect (exit 1 on a difference)
//   sim --rewrite <dir>...          regenerate log.expect (review it before committing!)
//   sim fuzz --runs N --seed S      seeded random event sequences, invariants after every step
import * as fs from "node:fs";
import * as path from "node:path";
import { Command } from "commander";
import { fuzz } from "./fuzz";
import { firstDiff, isScenarioDir, listScenarios, replay } from "./scenario";

async function scenarios(dirs: string[], opts: { rewrite?: boolean; check?: boolean }): Promise<number> {
  const all = dirs.flatMap((d) => (isScenarioDir(d) ? [d] : listScenarios(d)));
  let bad = 0;
  for (const dir of all) {
    const o = await replay(dir);
    if (o.violations.length) bad++;
    if (opts.rewrite) {
      fs.writeFileSync(path.join(dir, "log.expect"), o.log);
      process.stdout.write(`${o.name}: log.expect written (${o.log.split("\n").length - 1} lines)\n`);
    } else if (opts.check) {
      const d = o.expected === undefined ? "no log.expect" : firstDiff(o.expected, o.log);
      if (d) bad++;
      process.stdout.write(d ? `FAIL ${o.name}\n${d}\n` : `ok   ${o.name}\n`);
    } else {
      process.stdout.write(all.length > 1 ? `# ${o.name}\n${o.log}` : o.log);
    }
    for (const v of o.violations) process.stdout.write(`${o.name}: ${v}\n`);
  }
  return bad ? 1 : 0;
}

async function main(argv: string[]): Promise<number> {
  if (argv[0] === "fuzz") {
    const p = new Command("sim fuzz")
      .option("--runs <n>", "number of sequences", "1000")
      .option("--seed <n>", "seed (default: random, printed)")
      .option("--max-events <n>", "longest sequence", "24")
      .parse(argv.slice(1), { from: "user" });
    const o = p.opts<{ runs: string; seed?: string; maxEvents: string }>();
    const seed = o.seed === undefined ? Date.now() % 2 ** 31 : Number(o.seed);
    const r = await fuzz({ runs: Number(o.runs), seed, maxEvents: Number(o.maxEvents) });
    process.stdout.write(`${r.report}\n`);
    return r.ok ? 0 : 1;
  }
  const p = new Command("sim")
    .argument("<dirs...>", "scenario folders, or folders of scenario folders")
    .option("--rewrite", "regenerate log.expect")
    .option("--check", "diff against log.expect")
    .parse(argv, { from: "user" });
  return scenarios(p.args, p.opts());
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 2;
  },
);
