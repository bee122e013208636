"use strict";
// The set-up steps, in order. Each has needed(root) -> a reason string (or "" to skip) and run(root).
// Areas add their own steps here (Debian packages, Go-built simulators); keep each step idempotent.
const path = require("node:path");
const fs = require("node:fs");
const crypto = require("node:crypto");
const { spawnSync } = require("node:child_process");
const { run, heartbeat, exists, log } = require("./util");
const { engineStep } = require("./engine");
const { debStep } = require("./debs");

function lockHash(root) {
  return crypto
    .createHash("sha256")
    .update(fs.readFileSync(path.join(root, "package-lock.json")))
    .digest("hex");
}

const npmStep = {
  name: "npm",
  async needed(root) {
    const stamp = path.join(root, "node_modules", ".vmha-lock-hash");
    if (!exists(path.join(root, "node_modules", ".bin", "node")))
      return "installing npm packages (pinned Node, Pulumi SDK, ...)";
    if (!exists(stamp) || fs.readFileSync(stamp, "utf8") !== lockHash(root))
      return "package-lock.json changed: reinstalling npm packages";
    return "";
  },
  async run(root) {
    const stop = heartbeat("npm ci");
    try {
      await run("npm", ["ci", "--no-audit", "--no-fund"], { cwd: root });
    } finally {
      stop();
    }
    fs.writeFileSync(path.join(root, "node_modules", ".vmha-lock-hash"), lockHash(root));
  },
};

const buildStep = {
  name: "build",
  async needed() {
    return "compiling TypeScript to dist/";
  },
  async run(root) {
    // Emit even when some file has a type error, so one area's work in progress never blocks the
    // others' tests; `npm run typecheck` (part of `npm test`) is what fails on type errors.
    const tsc = path.join(root, "node_modules", "typescript", "bin", "tsc");
    const node = path.join(root, "node_modules", ".bin", "node");
    const r = spawnSync(node, [tsc, "-p", root], { cwd: root, encoding: "utf8" });
    if (r.status !== 0 && !exists(path.join(root, "dist", "sdk", "index.js"))) {
      throw new Error(`tsc failed:\n${r.stdout}${r.stderr}`);
    }
    if (r.status !== 0) log("  tsc reported type errors (emitted anyway; `npm run typecheck` lists them)");
  },
};

const steps = [
  npmStep,
  debStep,
  engineStep,
  require("./vcsim").vcsimStep,
  require("./etcd").etcdStep,
  buildStep,
];
module.exports = { steps };
