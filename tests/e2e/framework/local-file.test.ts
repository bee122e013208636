// The resource framework through the real Pulumi engine, with the test-only LocalFile resource.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import {
  diffsOf,
  drifted,
  inlineStack,
  outputs,
  refresh,
  stateText,
  type TestStack,
  up,
} from "../../support/engine";
import { LocalFile } from "../../support/local-file";

interface Desired {
  name: string;
  path: string;
  content: string;
  mode?: number;
  token?: string;
}

let desired: Desired[] = [];
const program = async () => {
  const out: Record<string, pulumi.Output<unknown>> = {};
  for (const d of desired) {
    const f = new LocalFile(d.name, {
      path: d.path,
      content: d.content,
      mode: d.mode,
      token: d.token ? pulumi.secret(d.token) : undefined,
    });
    out[`${d.name}Sha`] = f.sha256;
    out[`${d.name}Size`] = f.size;
  }
  return out;
};

describe("resource framework through the real engine (LocalFile)", () => {
  let s: TestStack;
  let dir: string;
  before(async () => {
    s = await inlineStack("framework", program);
    dir = path.join(s.dir, "files");
    fs.mkdirSync(dir);
  });
  after(async () => s?.dispose());

  it("creates a resource and exports its outputs", async () => {
    desired = [{ name: "a", path: path.join(dir, "a.txt"), content: "hello\n", token: "s3cr3t-token-value" }];
    const o = await up(s);
    assert.equal(o.error, undefined, o.error);
    assert.deepEqual(o.ops.get("a"), ["create"]);
    assert.match(
      fs.readFileSync(path.join(dir, "a.txt"), "utf8"),
      /^hello\n\n# token-sha256 [0-9a-f]{64}\n$/,
    );
    const outs = await outputs(s);
    assert.equal(outs.aSize, fs.statSync(path.join(dir, "a.txt")).size);
  });

  it("never writes a secret input in plaintext to the state file", async () => {
    const text = stateText(s);
    assert.ok(text.includes("ciphertext"), "the state should hold the secret as ciphertext");
    assert.ok(!text.includes("s3cr3t-token-value"), "the secret token leaked into the state file");
  });

  it("updates in place when a non-replacing input changes", async () => {
    desired = [{ ...desired[0]!, content: "hello again\n" }];
    const o = await up(s);
    assert.equal(o.error, undefined, o.error);
    assert.deepEqual(o.ops.get("a"), ["update"]);
    assert.deepEqual(diffsOf(o, "a"), ["content"]);
  });

  it("replaces when a replaceOn input changes", async () => {
    desired = [{ ...desired[0]!, path: path.join(dir, "b.txt") }];
    const o = await up(s);
    assert.equal(o.error, undefined, o.error);
    assert.deepEqual(o.ops.get("a"), ["create-replacement", "replace", "delete-replaced"]);
    assert.ok(fs.existsSync(path.join(dir, "b.txt")));
    assert.ok(!fs.existsSync(path.join(dir, "a.txt")), "the replaced file should be deleted");
  });

  it("fails check with one failure per bad field, naming the field", async () => {
    const before = fs.readdirSync(dir);
    desired = [{ name: "bad", path: "relative.txt", content: "x", mode: 0o1777, token: "short" }];
    const o = await up(s);
    assert.ok(o.error, "up should fail");
    const text = o.diagnostics.join("\n");
    assert.match(text, /'bad': property path value .* has a problem: must be an absolute path/);
    assert.match(text, /'bad': property mode value .* has a problem: must be at most 0o777/);
    assert.match(text, /'bad': property token value .* has a problem: must be at least 8 characters/);
    assert.ok(!/short"\)/.test(text), "our reason must not echo a secret field's value");
    assert.deepEqual(fs.readdirSync(dir), before, "nothing may be written when check fails");
  });

  it("detects drift on refresh and corrects it on up", async () => {
    desired = [
      { name: "a", path: path.join(dir, "b.txt"), content: "hello again\n", token: "s3cr3t-token-value" },
    ];
    const settle = await up(s);
    assert.equal(settle.error, undefined, settle.error);
    fs.writeFileSync(path.join(dir, "b.txt"), "edited outside pulumi\n");
    const r = await refresh(s);
    assert.equal(r.error, undefined, r.error);
    assert.deepEqual(drifted(r), ["a"], "refresh should report the drifted resource");
    const o = await up(s);
    assert.deepEqual(o.ops.get("a"), ["update"]);
    assert.match(fs.readFileSync(path.join(dir, "b.txt"), "utf8"), /^hello again\n/);
  });

  it("deletes the resource when it leaves the program", async () => {
    desired = [];
    const o = await up(s);
    assert.equal(o.error, undefined, o.error);
    assert.deepEqual(o.ops.get("a"), ["delete"]);
    assert.ok(!fs.existsSync(path.join(dir, "b.txt")));
  });
});
