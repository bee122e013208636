// M4(b)(c) and L2: what reaches a fence agent's stdin, what its output may put into logs, and
// which environment it inherits.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, test } from "node:test";
import { AgentFencer } from "../../../provider/runtime/fence/fencer";
import { fenceInput, fenceOff, runFence } from "../../../provider/runtime/fence/runner";
import { runCommand } from "../../../provider/runtime/proc/run";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vmha-it-fence-sec-"));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function script(name: string, body: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return file;
}

test("fenceInput refuses every control character, naming the parameter but never its value", () => {
  for (const c of ["\r", "\0", "\n", "\t", "\x1b", "\x7f", "\x01"]) {
    assert.throws(
      () => fenceInput("off", "h2", { password: `s3cret${c}plug=h9` }),
      (e: unknown) =>
        e instanceof Error && /fence parameter password/.test(e.message) && !e.message.includes("s3cret"),
      JSON.stringify(c),
    );
    assert.throws(() => fenceInput("off", "h2", { [`user${c}`]: "x" }), /fence parameter "user/);
  }
  assert.throws(() => fenceInput("off", "h2\rplug=h9", {}), /fence parameter plug/);
  assert.throws(() => fenceInput("off", "h2", { action: "on" }), /fence parameter action/);
});

test("plug and port: a conflicting second plug is refused, an equal one is written once as plug", () => {
  assert.throws(() => fenceInput("off", "h2", { port: "h9" }), /fence parameter port names another plug/);
  assert.throws(() => fenceInput("off", "h2", { plug: "h9" }), /fence parameter plug names another plug/);
  assert.equal(fenceInput("off", "h2", { port: "h2", ipaddr: "x" }), "action=off\nplug=h2\nipaddr=x\n");
  assert.throws(
    () => fenceInput("list", undefined, { plug: "a", port: "b" }),
    /plug and port name different/,
  );
});

test("AgentFencer: plug and port both given with different values is refused, never guessed", async () => {
  const input = path.join(dir, "pp.input");
  const agent = script("pp", `cat > ${input}; exit 0`);
  const f = new AgentFencer();
  await assert.rejects(
    f.fence("h2", { agent, params: { plug: "h2", port: "h7" }, secretParams: [] }, 500),
    /host h2: fence device .* both plug and port, with different values/,
  );
  assert.equal(fs.existsSync(input), false, "the agent must not have run");
  // Only port given: it becomes the plug, and no second port= line is written.
  const st = path.join(dir, "pp.state");
  const ok = script(
    "pp-ok",
    `cat > ${input}; a=$(sed -n 's/^action=//p' ${input}); [ "$a" = off ] && echo off > ${st}; [ "$a" = status ] && [ -f ${st} ] && exit 2; exit 0`,
  );
  assert.equal(await f.fence("h2", { agent: ok, params: { port: "bay3" }, secretParams: [] }, 2000), true);
  assert.equal(fs.readFileSync(input, "utf8"), "action=status\nplug=bay3\n");
});

test("a fence agent's output is redacted of secret values before it reaches logs or the event log", async () => {
  // A failing agent that echoes its whole input (as some print their command line) to stderr.
  const agent = script("echo", "cat >&2; exit 1");
  const secrets = path.join(dir, "secrets.json");
  fs.writeFileSync(secrets, JSON.stringify({ h2: { password: "Hunter2-secret", community: "c0mm" } }));
  const errors: string[] = [];
  const f = new AgentFencer({ secretsFile: secrets, onResult: (r) => r.error && errors.push(r.error) });
  await assert.rejects(
    f.fence(
      "h2",
      { agent, params: { username: "admin", community: "x" }, secretParams: ["password", "community"] },
      2000,
    ),
    (e: unknown) => e instanceof Error && !e.message.includes("Hunter2") && /\*\*\*/.test(e.message),
  );
  assert.equal(errors.length, 1);
  assert.ok(!errors[0]!.includes("Hunter2-secret"), errors[0]);
  assert.ok(!errors[0]!.includes("c0mm"), errors[0]);
  assert.match(errors[0]!, /username=admin/);
  // Password-like names are redacted even when the device forgot to list them as secret.
  const run = await runFence(
    { name: "d", agent, params: { passwd: "pw-in-spec" }, timeoutMs: 2000 },
    "status",
    "h2",
  );
  assert.ok(!run.detail.includes("pw-in-spec") && run.detail.includes("passwd=***"), run.detail);
  await assert.rejects(
    fenceOff({ name: "d", agent, params: { api_token: "tok-123" }, timeoutMs: 2000 }, "h2"),
    (e: unknown) => e instanceof Error && !e.message.includes("tok-123"),
  );
});

test("children (fence agents, virsh, anything run without an explicit env) do not inherit secrets", async () => {
  const saved = { ...process.env };
  process.env["VMHA_ETCD_PASSWORD"] = "etcd-pw";
  process.env["SOME_API_TOKEN"] = "tok";
  process.env["my_secret_thing"] = "s";
  process.env["VMHA_HARMLESS"] = "kept";
  try {
    const envFile = path.join(dir, "env.out");
    const agent = script("env", `env > ${envFile}; exit 0`);
    await runFence({ name: "d", agent, params: {}, timeoutMs: 2000 }, "status", "h2");
    const seen = fs.readFileSync(envFile, "utf8");
    assert.doesNotMatch(seen, /etcd-pw|VMHA_ETCD_PASSWORD|SOME_API_TOKEN|my_secret_thing/);
    assert.match(seen, /VMHA_HARMLESS=kept/);
    const r = await runCommand("sh", ["-c", "env"]);
    assert.doesNotMatch(r.stdout, /VMHA_ETCD_PASSWORD/);
    assert.match(r.stdout, /^PATH=/m);
  } finally {
    for (const k of ["VMHA_ETCD_PASSWORD", "SOME_API_TOKEN", "my_secret_thing", "VMHA_HARMLESS"])
      delete process.env[k];
    Object.assign(process.env, saved);
  }
});
