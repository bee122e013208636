"use strict";
// Builds govmomi's vCenter simulator (vcsim) and vmha's dasConfig-keeping variant (dassim, see
// tools/vcsim/dassim) from the Go module proxy, once, into .cache/vcsim/<govmomi version>/.
const crypto = require("node:crypto");
const path = require("node:path");
const fs = require("node:fs");
const { run, heartbeat, exists, log } = require("./util");

function govmomiVersion(root) {
  const mod = fs.readFileSync(path.join(root, "tools", "vcsim", "go.mod"), "utf8");
  const m = /github\.com\/vmware\/govmomi (v[0-9.]+)/.exec(mod);
  if (!m) throw new Error("tools/vcsim/go.mod does not require github.com/vmware/govmomi");
  return m[1];
}

/** Directory holding the `vcsim` and `dassim` binaries. */
function vcsimDir(root) {
  return path.join(root, ".cache", "vcsim", govmomiVersion(root));
}

const BINARIES = [
  ["vcsim", "github.com/vmware/govmomi/vcsim"],
  ["dassim", "./dassim"],
];

/** A fingerprint of dassim's sources, so editing them rebuilds it. */
function dassimStamp(root) {
  const dir = path.join(root, "tools", "vcsim", "dassim");
  const parts = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".go"))
    .sort()
    .map((f) => `${f}:${fs.statSync(path.join(dir, f)).size}:${fs.readFileSync(path.join(dir, f), "utf8")}`);
  return crypto.createHash("sha256").update(parts.join("\n")).digest("hex");
}

const vcsimStep = {
  name: "vcsim",
  async needed(root) {
    const dir = vcsimDir(root);
    const stamp = path.join(dir, ".dassim-src");
    const missing = BINARIES.filter(([b]) => !exists(path.join(dir, b)));
    if (missing.length === 0 && exists(stamp) && fs.readFileSync(stamp, "utf8") === dassimStamp(root))
      return "";
    return `building vcsim and dassim (govmomi ${govmomiVersion(root)}) from Go modules into ${path.relative(root, dir)} (first time ~1-2 min)`;
  },
  async run(root) {
    const dir = vcsimDir(root);
    fs.mkdirSync(dir, { recursive: true });
    const cwd = path.join(root, "tools", "vcsim");
    const env = { ...process.env, CGO_ENABLED: "0", GOFLAGS: "-mod=mod" };
    const stop = heartbeat("go build");
    try {
      for (const [out, pkg] of BINARIES) {
        log(`  go build ${pkg}`);
        // Temporary name, then rename: an interrupted build never leaves a half binary.
        const tmp = path.join(dir, `.${out}.partial`);
        await run("go", ["build", "-trimpath", "-o", tmp, pkg], { cwd, env });
        fs.renameSync(tmp, path.join(dir, out));
      }
    } finally {
      stop();
    }
    fs.writeFileSync(path.join(dir, ".dassim-src"), dassimStamp(root));
  },
};

module.exports = { vcsimStep, vcsimDir, govmomiVersion };
