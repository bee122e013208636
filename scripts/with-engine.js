#!/usr/bin/env node
// Runs a command with the project's Pulumi environment (pinned engine and Node on PATH, local
// file:// backend unless one is set, no update checks or plugin downloads), from the directory
// npm was started in.
"use strict";
const { spawnSync } = require("node:child_process");
const { pulumiEnv, ROOT } = require("./lib-env");

const [cmd, ...args] = process.argv.slice(2);
if (!cmd) {
  process.stderr.write("usage: with-engine.js <command> [args...]\n");
  process.exit(2);
}
const r = spawnSync(cmd, args, { stdio: "inherit", env: pulumiEnv(), cwd: process.env.INIT_CWD || ROOT });
if (r.error) {
  process.stderr.write(`${cmd}: ${r.error.message}\n`);
  process.exit(1);
}
process.exit(r.status === null ? 1 : r.status);
