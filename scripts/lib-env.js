"use strict";
// The environment every Pulumi invocation of this project runs with: the pinned engine and Node
// first on PATH, a local file:// backend, and nothing that reaches the internet.
const path = require("node:path");
const fs = require("node:fs");
const { engineBin } = require("./setup/engine");

const ROOT = path.resolve(__dirname, "..");

function pulumiEnv(base = process.env) {
  const bin = engineBin(ROOT);
  const stateDir = path.join(ROOT, ".pulumi-state");
  const home = path.join(ROOT, ".cache", "pulumi-home");
  fs.mkdirSync(home, { recursive: true });
  if (!base.PULUMI_BACKEND_URL) fs.mkdirSync(stateDir, { recursive: true });
  return {
    ...base,
    PATH: [bin, path.join(ROOT, "node_modules", ".bin"), base.PATH].join(path.delimiter),
    PULUMI_HOME: base.PULUMI_HOME || home,
    PULUMI_BACKEND_URL: base.PULUMI_BACKEND_URL || `file://${stateDir}`,
    // The local lab's stacks hold no real credentials; a real deployment sets its own passphrase.
    PULUMI_CONFIG_PASSPHRASE:
      base.PULUMI_CONFIG_PASSPHRASE ?? (base.PULUMI_CONFIG_PASSPHRASE_FILE ? undefined : "vmha-local-lab"),
    PULUMI_SKIP_UPDATE_CHECK: "1",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "1",
    PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: base.PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK || "",
  };
}

module.exports = { pulumiEnv, ROOT };
