#!/usr/bin/env node
// `npm test`: lint, type-check, then every test file through node's test runner, in two phases:
// files that share nothing run concurrently; lab files (network namespaces, libvirtd, fixed
// names) run one at a time. Ends with the line `N passed, N failed`.
//
//   node scripts/test.js [--area vsphere|hyperv|kvm|core|lab|...] [--no-lint] [files...]
"use strict";
const path = require("node:path");
const fs = require("node:fs");
const { spawnSync } = require("node:child_process");
const { run } = require("node:test");
const { spec } = require("node:test/reporters");
const { pulumiEnv, ROOT } = require("./lib-env");

function parseArgs(argv) {
  const o = { areas: [], lint: true, files: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--area") o.areas.push(argv[++i]);
    else if (a.startsWith("--area=")) o.areas.push(a.slice(7));
    else if (a === "--no-lint") o.lint = false;
    else o.files.push(a);
  }
  return o;
}

function walk(dir, out = []) {
  if (!fs.existsSync(dir)) return out;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.name.endsWith(".test.js")) out.push(p);
  }
  return out.sort();
}

function step(label, cmd, args) {
  process.stdout.write(`\n# ${label}\n`);
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: "inherit" });
  return r.status === 0;
}

async function runFiles(files, concurrency, counts) {
  if (files.length === 0) return;
  const stream = run({
    files,
    concurrency,
    timeout: 40 * 60 * 1000,
    env: { ...pulumiEnv(), VMHA_TEST: "1" },
  });
  stream.on("test:pass", (d) => {
    if (d.details.type !== "suite") d.skip || d.todo ? counts.skipped++ : counts.passed++;
  });
  stream.on("test:fail", (d) => {
    // A suite fails on its own (a hook, an unsettled promise) or because a test in it failed;
    // only the first kind is a failure of its own.
    const cause = d.details.error?.failureType;
    if (d.details.type !== "suite" || cause !== "subtestsFailed") counts.failed++;
  });
  await new Promise((resolve, reject) => {
    const out = stream.compose(spec);
    out.on("data", (chunk) => process.stdout.write(chunk));
    out.on("end", resolve);
    out.on("error", reject);
  });
}

async function runPhase(files, concurrency, counts) {
  await runFiles(files, concurrency, counts);
}

const LAB_RUN = process.env.VMHA_LAB_RUN || path.join(ROOT, "tests", "lab", ".run");
/** Where the lab fixture appends every double run and false isolation its observer saw. */
const SAFETY_LOG = path.join(LAB_RUN, "safety-violations.log");

function safetyViolations() {
  try {
    return fs.readFileSync(SAFETY_LOG, "utf8").trim();
  } catch {
    return "";
  }
}

/**
 * Lab files one at a time. They run real VMs on a shared 2-core machine with sub-second timing;
 * a file that fails is run once more and the flake is printed, never hidden: both runs' output
 * stays in the log and the final summary names it. A file that fails twice counts as failed.
 * A double run or a false isolation seen in ANY attempt fails the run: a second attempt that
 * passes does not make a safety violation go away.
 */
async function runLabPhase(files, counts, flaky) {
  fs.rmSync(SAFETY_LOG, { force: true });
  for (const f of files) {
    const first = { passed: 0, failed: 0, skipped: 0 };
    await runFiles([f], 1, first);
    if (first.failed === 0) {
      addCounts(counts, first);
      continue;
    }
    process.stdout.write(`\n# ${path.relative(ROOT, f)}: ${first.failed} failure(s); running it once more\n`);
    const second = { passed: 0, failed: 0, skipped: 0 };
    await runFiles([f], 1, second);
    addCounts(counts, second);
    if (second.failed === 0) flaky.push(path.relative(ROOT, f));
  }
  const seen = safetyViolations();
  if (seen) {
    counts.failed++;
    process.stdout.write(`\nsafety violations seen by the lab observer (counted as one failure):\n${seen}\n`);
  }
}

function addCounts(into, c) {
  into.passed += c.passed;
  into.failed += c.failed;
  into.skipped += c.skipped;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const counts = { passed: 0, failed: 0, skipped: 0 };
  let checksOk = true;
  if (opts.lint) {
    checksOk =
      step("lint and format (biome)", path.join(ROOT, "node_modules", ".bin", "biome"), ["check", "."]) &&
      checksOk;
    checksOk =
      step("type-check (tsc)", process.execPath, [
        path.join(ROOT, "node_modules", "typescript", "bin", "tsc"),
        "-p",
        ".",
      ]) && checksOk;
  }
  let files = opts.files.length
    ? opts.files.map((f) => path.resolve(f))
    : walk(path.join(ROOT, "dist", "tests"));
  if (opts.areas.length) {
    files = files.filter((f) => opts.areas.some((a) => path.relative(ROOT, f).split(path.sep).includes(a)));
  }
  const isLab = (f) => path.relative(ROOT, f).split(path.sep).includes("lab");
  await runPhase(
    files.filter((f) => !isLab(f)),
    3,
    counts,
  );
  const flaky = [];
  await runLabPhase(files.filter(isLab), counts, flaky);
  for (const f of flaky)
    process.stdout.write(`\nflaky: ${f} failed, then passed when run again (see both runs above)\n`);
  if (!checksOk) {
    counts.failed++;
    process.stdout.write("\nlint or type-check failed (see above); counted as one failure\n");
  }
  const skipped = counts.skipped ? `, ${counts.skipped} skipped` : "";
  process.stdout.write(`\n${counts.passed} passed, ${counts.failed} failed${skipped}\n`);
  process.exitCode = counts.failed > 0 || counts.passed === 0 ? 1 : 0;
}

main().catch((err) => {
  process.stderr.write(`${err.stack || err}\n`);
  process.exit(1);
});
