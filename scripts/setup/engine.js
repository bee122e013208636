"use strict";
// Builds the pinned Pulumi engine (CLI + Node.js language host) from the Go module proxy, once,
// into .cache/engine/<version>/bin, next to @pulumi/pulumi's pulumi-resource-pulumi-nodejs shim.
const path = require("node:path");
const fs = require("node:fs");
const { spawnSync } = require("node:child_process");
const { run, heartbeat, exists, log } = require("./util");

function pinnedVersion(root) {
  const lock = JSON.parse(fs.readFileSync(path.join(root, "package-lock.json"), "utf8"));
  const entry = lock.packages?.["node_modules/@pulumi/pulumi"];
  if (!entry?.version) throw new Error("package-lock.json has no node_modules/@pulumi/pulumi entry");
  return entry.version;
}

function engineDir(root) {
  return path.join(root, ".cache", "engine", `v${pinnedVersion(root)}`, "bin");
}

const BINARIES = ["pulumi", "pulumi-language-nodejs", "pulumi-resource-pulumi-nodejs"];

/** A `pulumi` already on PATH is used when it is the pinned version and has its language host beside it. */
function engineOnPath(version) {
  const r = spawnSync("sh", ["-c", "command -v pulumi"], { encoding: "utf8" });
  if (r.status !== 0) return undefined;
  const bin = path.dirname(r.stdout.trim());
  const v = spawnSync(path.join(bin, "pulumi"), ["version"], { encoding: "utf8" });
  if (v.status !== 0 || v.stdout.trim() !== `v${version}`) return undefined;
  return BINARIES.every((b) => exists(path.join(bin, b))) ? bin : undefined;
}

function goModVersion(root) {
  const mod = fs.readFileSync(path.join(root, "tools", "engine", "go.mod"), "utf8");
  const m = /github\.com\/pulumi\/pulumi\/pkg\/v3 (v[0-9.]+)/.exec(mod);
  return m ? m[1] : undefined;
}

const engineStep = {
  name: "engine",
  async needed(root) {
    const version = pinnedVersion(root);
    if (engineOnPath(version)) return "";
    const dir = engineDir(root);
    if (BINARIES.every((b) => exists(path.join(dir, b)))) {
      if (!fs.readFileSync(path.join(dir, "pulumi-resource-pulumi-nodejs"), "utf8").includes("vmha"))
        writeProviderShim(root, dir);
      return "";
    }
    return `building the Pulumi engine v${version} from Go modules into ${path.relative(root, dir)} (first time only, ~5-10 min)`;
  },
  async run(root) {
    const version = pinnedVersion(root);
    const modVersion = goModVersion(root);
    if (modVersion !== `v${version}`) {
      throw new Error(
        `tools/engine/go.mod pins pkg/v3 ${modVersion} but package-lock.json pins @pulumi/pulumi ${version}; ` +
          "they must match (see README, 'The Pulumi engine')",
      );
    }
    const dir = engineDir(root);
    fs.mkdirSync(dir, { recursive: true });
    const cwd = path.join(root, "tools", "engine");
    const ldflags = `-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v${version}`;
    const env = { ...process.env, CGO_ENABLED: "0", GOFLAGS: "-mod=mod" };
    const stop = heartbeat("go build");
    try {
      // Build to a temporary name and rename, so an interrupted build never leaves a half binary
      // that a later run would mistake for a finished one.
      for (const [out, pkg] of [
        ["pulumi", "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"],
        ["pulumi-language-nodejs", "./langhost"],
      ]) {
        log(`  go build ${pkg}`);
        const tmp = path.join(dir, `.${out}.partial`);
        await run("go", ["build", "-trimpath", "-ldflags", ldflags, "-o", tmp, pkg], { cwd, env });
        fs.renameSync(tmp, path.join(dir, out));
      }
    } finally {
      stop();
    }
    writeProviderShim(root, dir);
  },
};

/**
 * The engine starts dynamic providers through `pulumi-resource-pulumi-nodejs`. @pulumi/pulumi's own
 * shim resolves the SDK from the working directory only, and silently does nothing when that
 * fails; this one also falls back to this checkout's SDK and says so when neither is found.
 */
function writeProviderShim(root, dir) {
  const fallback = path.join(root, "node_modules", "@pulumi", "pulumi", "cmd", "dynamic-provider");
  const script = `#!/bin/sh
# Written by vmha's set-up (scripts/setup/engine.js).
script=$(node -e "console.log(require.resolve('@pulumi/pulumi/cmd/dynamic-provider'))" 2>/dev/null)
[ -n "$script" ] || script='${fallback}'
[ -e "$script" ] || [ -e "$script.js" ] || [ -e "$script/index.js" ] || { echo "pulumi-resource-pulumi-nodejs: @pulumi/pulumi not found from $(pwd) nor at $script" >&2; exit 1; }
exec node "$script" "$@"
`;
  const out = path.join(dir, "pulumi-resource-pulumi-nodejs");
  fs.writeFileSync(out, script, { mode: 0o755 });
}

/** Where the engine binaries are: the pinned one on PATH, or the cached build. */
function engineBin(root) {
  return engineOnPath(pinnedVersion(root)) || engineDir(root);
}

module.exports = { engineStep, engineBin, pinnedVersion };
