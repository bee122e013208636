#!/usr/bin/env node
// `npm run drift -- --stack <name> [--cwd <program>] [--json <file>|-] [--format text|github]`:
// exits 0 without drift, 7 with drift (as `pulumi preview --expect-no-changes` does), 1 when the
// check itself failed or a resource could not be read (the report is still written: the other
// resources were checked). Drift is corrected by `pulumi up --refresh`.
import * as fs from "node:fs";
import * as path from "node:path";
import { LocalWorkspace, PulumiCommand } from "@pulumi/pulumi/automation";
import { Command, Option } from "commander";
import { type DriftReport, exitCode, formatGithub, formatReport } from "./report";
import { detectDrift } from "./run";

interface Options {
  stack: string;
  cwd?: string;
  json?: string;
  format: "text" | "github";
  quiet?: boolean;
}

function write(report: DriftReport, opts: Options): void {
  // With `--json -` stdout carries only the JSON document; the human lines go to stderr.
  const human = opts.json === "-" ? process.stderr : process.stdout;
  const lines = opts.format === "github" ? formatGithub(report) : formatReport(report);
  for (const line of lines) human.write(`${line}\n`);
  const json = `${JSON.stringify(report, null, 2)}\n`;
  if (opts.json === "-") process.stdout.write(json);
  else if (opts.json) fs.writeFileSync(opts.json, json);
}

async function main(argv: string[]): Promise<number> {
  const program = new Command("vmha-drift")
    .description(
      "Report resources whose live state differs from the Pulumi state (preview-only refresh). " +
        "Exit 0: no drift; 7: drift; 1: the check failed or a resource could not be read. " +
        "Correct drift with `pulumi up --refresh`.",
    )
    .requiredOption("--stack <name>", "stack to check (as `pulumi stack ls` names it)")
    .option("--cwd <dir>", "directory of the Pulumi program (default: the current directory)")
    .option("--json <file>", "also write the report as JSON to this file ('-': to stdout, text to stderr)")
    .addOption(
      new Option("--format <format>", "text, or github (GitHub Actions annotations)")
        .choices(["text", "github"])
        .default("text"),
    )
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
  write(report, opts);
  return exitCode(report);
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
