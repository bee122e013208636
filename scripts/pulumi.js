#!/usr/bin/env node
// `npm run pulumi -- <args>`: the project's pinned Pulumi CLI with the offline environment.
"use strict";
const { spawnSync } = require("node:child_process");
const { pulumiEnv, ROOT } = require("./lib-env");

const env = pulumiEnv();
const r = spawnSync("pulumi", process.argv.slice(2), {
  stdio: "inherit",
  env,
  cwd: process.env.INIT_CWD || ROOT,
});
process.exit(r.status === null ? 1 : r.status);
