#!/usr/bin/env node
// `npm run drift -- --stack <name> [--cwd <program>] [--json <file>]`: exits 0 without drift, 7
// with drift (as `pulumi preview --expect-no-changes` does), 1 when the check itself failed.
import * as fs from "node:fs";
import * as path from "node:path";
import { LocalWorkspace, PulumiCommand } from "@pulumi/pulumi/automation";
import { Command } from "commander";
import { DRIFT_EXIT_CODE, formatReport } from "./report";
import { detectDrift } from "./run";

interface Options {
  stack: string;
  cwd?: string;
  json?: string;
  quiet?: boolean;
}

async function main(argv: string[]): Promise<number> {
  const program = new Command("vmha-drift")
    .description("Report resources whose live state differs from the Pulumi state (preview-only refresh).")
    .requiredOption("--stack <name>", "stack to check (as `pulumi stack ls` names it)")
    .option("--cwd <dir>", "directory of the Pulumi program (default: the current directory)")
    .option("--json <file>", "also write the report as JSON to this file")
    .option("--quiet", "do not print progress")
    .exitOverride();
  program.parse(argv);
  const opts = program.opts<Options>();
  const workDir = path.resolve(opts.cwd ?? process.env.INIT_CWD ?? process.cwd());
  if (!fs.existsSync(path.join(workDir, "Pulumi.yaml")) && !fs.existsSync(path.join(workDir, "Pulumi.yml"))) {
    process.stderr.write(`vmha-drift: no Pulumi.yaml in ${workDir}; pass --cwd <program directory>\n`);
    return 1;
  }
  const pulumiCommand = await PulumiCommand.get({ skipVersionCheck: true });
  const stack = await LocalWorkspace.selectStack({ stackName: opts.stack, workDir }, { pulumiCommand });
  const report = await detectDrift(stack, opts.quiet ? undefined : (l) => process.stderr.write(`${l}\n`));
  for (const line of formatReport(report)) process.stdout.write(`${line}\n`);
  if (opts.json) fs.writeFileSync(opts.json, `${JSON.stringify(report, null, 2)}\n`);
  return report.drifted.length > 0 ? DRIFT_EXIT_CODE : 0;
}

main(process.argv).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const e = err as { code?: string; message?: string };
    if (e.code === "commander.helpDisplayed" || e.code === "commander.version") process.exit(0);
    process.stderr.write(`vmha-drift: ${e.message ?? String(err)}\n`);
    process.exit(1);
  },
);
