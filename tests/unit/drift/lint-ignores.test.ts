// `npm run demo` leaves Pulumi state backups under .pulumi-state/ (git-ignored); `npm test` lints
// the repository with biome. Lint must skip what git ignores, or the demo breaks the next test run.
// The check runs on a scratch repository with the project's own biome.json and .gitignore, with
// biome's VCS integration on and, as a control, off (so the probe file is proven to be a failure).
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";

const ROOT = path.resolve(__dirname, "..", "..", "..", "..");
const BIOME = path.join(ROOT, "node_modules", ".bin", "biome");

function scratch(config: Record<string, unknown>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vmha-lint-"));
  fs.writeFileSync(path.join(dir, "biome.json"), `${JSON.stringify(config, null, 2)}\n`);
  fs.copyFileSync(path.join(ROOT, ".gitignore"), path.join(dir, ".gitignore"));
  fs.writeFileSync(path.join(dir, "ok.ts"), 'export const ok = "formatted";\n');
  fs.mkdirSync(path.join(dir, ".pulumi-state", "backups"), { recursive: true });
  // What a state backup looks like to biome: valid JSON, not in biome's format.
  fs.writeFileSync(path.join(dir, ".pulumi-state", "backups", "dev.json.bak"), '{"a":1,\n     "b":[1,2]}\n');
  fs.writeFileSync(path.join(dir, ".pulumi-state", "dev.json"), '{"a":1,\n     "b":[1,2]}\n');
  // The stack configuration `pulumi stack select --create quickstart` writes at the root (the
  // demo leaves it when it leaves the lab running): valid YAML, not in biome's format.
  fs.writeFileSync(
    path.join(dir, "Pulumi.quickstart.yaml"),
    'config:\n    vmha:hosts:    h1,h2,h3\n    vmha:fenceParams: "{\\"bmc\\":1}"\n',
  );
  spawnSync("git", ["init", "-q"], { cwd: dir });
  return dir;
}

function check(dir: string) {
  return spawnSync(BIOME, ["check", "."], { cwd: dir, encoding: "utf8" });
}

describe("lint ignores what git ignores (biome.json vcs.useIgnoreFile)", () => {
  const project = JSON.parse(fs.readFileSync(path.join(ROOT, "biome.json"), "utf8")) as Record<
    string,
    unknown
  >;
  const { $schema: _, ...config } = project;
  const dirs: string[] = [];
  before(() => assert.ok(fs.existsSync(BIOME), `biome is not installed at ${BIOME}`));
  after(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it("the project's biome.json turns the VCS integration on", () => {
    assert.deepEqual(config.vcs, { enabled: true, clientKind: "git", useIgnoreFile: true });
  });

  it("badly formatted files the demo leaves (.pulumi-state/, Pulumi.quickstart.yaml) do not fail biome check", () => {
    const dir = scratch(config);
    dirs.push(dir);
    const r = check(dir);
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  });

  it("control: without the VCS integration the same file fails (the probe is a real format error)", () => {
    const dir = scratch({ ...config, vcs: { enabled: false } });
    dirs.push(dir);
    const r = check(dir);
    assert.notEqual(r.status, 0);
    assert.match(`${r.stdout}\n${r.stderr}`, /\.pulumi-state/);
    assert.match(`${r.stdout}\n${r.stderr}`, /Pulumi\.quickstart\.yaml/);
  });
});
