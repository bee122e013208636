#!/usr/bin/env node
// One-shot, idempotent machine set-up shared by `npm test`, `npm run demo` and `.ci/run`.
// Runs on the machine's own Node (possibly 20) before the pinned Node exists, so it is plain
// CommonJS with no dependencies. Every step checks first and skips what is already there.
"use strict";
const path = require("node:path");
const { steps } = require("./setup/steps");
const fs = require("node:fs");
const { have, log } = require("./setup/util");

const ROOT = path.resolve(__dirname, "..");

function parseArgs(argv) {
  const wanted = new Set();
  for (const a of argv) {
    if (a.startsWith("--only=")) for (const s of a.slice(7).split(",")) wanted.add(s);
  }
  return { wanted };
}

async function main() {
  const { wanted } = parseArgs(process.argv.slice(2));
  // Go lives outside the default PATH on these machines (the engine and simulators need it).
  if (!have("go") && fs.existsSync("/usr/local/go/bin/go")) {
    process.env.PATH = `${process.env.PATH}${path.delimiter}/usr/local/go/bin`;
  }
  const chosen = steps.filter((s) => (wanted.size === 0 ? s.default !== false : wanted.has(s.name)));
  const unknown = [...wanted].filter((w) => !steps.some((s) => s.name === w));
  if (unknown.length > 0) {
    throw new Error(
      `unknown set-up step(s) ${unknown.join(", ")}; known: ${steps.map((s) => s.name).join(", ")}`,
    );
  }
  for (const step of chosen) {
    const t0 = Date.now();
    const why = await step.needed(ROOT);
    if (!why) continue;
    log(`setup: ${step.name}: ${why}`);
    await step.run(ROOT);
    log(`setup: ${step.name}: done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
}

main().catch((err) => {
  process.stderr.write(`setup failed: ${err?.message ? err.message : err}\n`);
  process.exit(1);
});
