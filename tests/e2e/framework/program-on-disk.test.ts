// A Pulumi program on disk runs through vmha's language host (the `pulumi up` path of the
// quickstart), with stack config and a secret config value; and `npm run pulumi` is the pinned
// engine.
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { destroy, outputs, programStack, ROOT, stateText, type TestStack, up } from "../../support/engine";

const PROGRAM = path.join(ROOT, "tests", "support", "programs", "local-file");

describe("program on disk through the language host", () => {
  let s: TestStack;
  let target: string;
  before(async () => {
    s = await programStack(PROGRAM);
    target = path.join(s.dir, "greeting.txt");
    await s.stack.setConfig("path", { value: target });
    await s.stack.setConfig("greeting", { value: "hi from disk" });
    await s.stack.setConfig("token", { value: "config-secret-123", secret: true });
  });
  after(async () => s?.dispose());

  it("runs up with stack config and exports outputs", async () => {
    const o = await up(s);
    assert.equal(o.error, undefined, o.error);
    assert.match(fs.readFileSync(target, "utf8"), /^hi from disk\n/);
    const outs = await outputs(s);
    assert.equal(outs.size, fs.statSync(target).size);
    assert.ok(!stateText(s).includes("config-secret-123"), "a secret config value leaked into the state");
  });

  it("destroys what it created", async () => {
    const o = await destroy(s);
    assert.equal(o.error, undefined, o.error);
    assert.ok(!fs.existsSync(target));
  });
});

describe("npm run pulumi", () => {
  it("is the engine pinned to the same version as @pulumi/pulumi", () => {
    const lock = JSON.parse(fs.readFileSync(path.join(ROOT, "package-lock.json"), "utf8")) as {
      packages: Record<string, { version: string }>;
    };
    const want = lock.packages["node_modules/@pulumi/pulumi"]!.version;
    const r = spawnSync(process.execPath, [path.join(ROOT, "scripts", "pulumi.js"), "version"], {
      encoding: "utf8",
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), `v${want}`);
  });
});
