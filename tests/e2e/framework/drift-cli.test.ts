// `npm run drift` (the CLI) against a real stack: exit 0 without drift, 7 with it, the report
// lines and the JSON file.
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { envFor, inlineStack, ROOT, type TestStack, up } from "../../support/engine";
import { LocalFile } from "../../support/local-file";

const CLI = path.join(ROOT, "dist", "provider", "core", "drift", "cli.js");

function drift(s: TestStack, extra: string[] = []) {
  const r = spawnSync(
    process.execPath,
    [CLI, "--stack", s.stack.name, "--cwd", s.stack.workspace.workDir, "--quiet", ...extra],
    {
      encoding: "utf8",
      env: { ...process.env, ...envFor(s.stateDir) },
    },
  );
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe("drift CLI", () => {
  let s: TestStack;
  let dir: string;
  before(async () => {
    s = await inlineStack("drift", async () => {
      new LocalFile("one", { path: path.join(dir, "one.txt"), content: "1\n" });
      new LocalFile("two", { path: path.join(dir, "two.txt"), content: "2\n" });
    });
    dir = path.join(s.dir, "files");
    fs.mkdirSync(dir);
    const o = await up(s);
    assert.equal(o.error, undefined, o.error);
  });
  after(async () => s?.dispose());

  it("exits 0 and says so when nothing drifted", () => {
    const r = drift(s);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^no drift: 2 resource\(s\) of stack test match their state$/m);
  });

  it("exits 7 with one line per drifted resource and a JSON report", () => {
    fs.writeFileSync(path.join(dir, "one.txt"), "changed\n");
    fs.rmSync(path.join(dir, "two.txt"));
    const json = path.join(s.dir, "drift.json");
    const r = drift(s, ["--json", json]);
    assert.equal(r.code, 7, r.err);
    assert.match(r.out, /^drift: vmha-test:LocalFile one: content "1\\n" -> "changed\\n"$/m);
    assert.match(r.out, /^drift: vmha-test:LocalFile two: deleted outside Pulumi$/m);
    assert.match(
      r.out,
      /^2 of 2 resource\(s\) of stack test drifted; run `pulumi up --refresh` to restore the declared state/m,
    );
    const report = JSON.parse(fs.readFileSync(json, "utf8")) as {
      drifted: { name: string; change: string }[];
    };
    assert.deepEqual(
      report.drifted.map((d) => [d.name, d.change]),
      [
        ["one", "update"],
        ["two", "delete"],
      ],
    );
  });

  it("is read-only: the state still holds the old values after a drift check", () => {
    const r = drift(s);
    assert.equal(r.code, 7, "the drift must still be reported: a preview-only refresh writes nothing");
  });

  it("fails with exit 1 and a clear message for a directory without a program", () => {
    const r = drift(s, ["--cwd", s.dir]);
    assert.equal(r.code, 1);
    assert.match(r.err, /no Pulumi.yaml in .*; pass --cwd <program directory>/);
  });
});
