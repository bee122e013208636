// The fence runner: the fence-agents stdin protocol, timeouts, and "off" reported only once
// status confirmed it. A scripted agent stands in for a device; fence_dummy (Debian
// fence-agents) shows a real agent runs through the same path.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, test } from "node:test";
import { RetryableError } from "../../../provider/runtime/env";
import { AgentFencer } from "../../../provider/runtime/fence/fencer";
import { FenceError, fenceInput, fenceOff, runFence } from "../../../provider/runtime/fence/runner";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vmha-it-fence-"));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A fake device: power state in a file; "sticky" = off is acknowledged but never happens. */
function fakeAgent(
  name: string,
  opts: { sticky?: boolean; sleep?: number } = {},
): { agent: string; state: string; input: string } {
  const state = path.join(dir, `${name}.state`);
  const input = path.join(dir, `${name}.input`);
  const agent = path.join(dir, name);
  fs.writeFileSync(state, "on");
  fs.writeFileSync(
    agent,
    `#!/bin/sh
cat > ${input}
${opts.sleep ? `sleep ${opts.sleep}` : ""}
action=$(sed -n 's/^action=//p' ${input})
case "$action" in
  off) ${opts.sticky ? "" : `echo off > ${state};`} exit 0 ;;
  on) echo on > ${state}; exit 0 ;;
  status) [ "$(cat ${state})" = off ] && exit 2; exit 0 ;;
esac
exit 1
`,
    { mode: 0o755 },
  );
  return { agent, state, input };
}

test("fence input is key=value lines; newlines in values are refused", () => {
  assert.equal(
    fenceInput("off", "h2", { ipaddr: "10.0.0.9", username: "admin" }),
    "action=off\nplug=h2\nipaddr=10.0.0.9\nusername=admin\n",
  );
  assert.throws(() => fenceInput("off", "h2", { password: "a\nb" }));
});

test("off is confirmed by status; a device that stays on is an error", async () => {
  const ok = fakeAgent("ok");
  const r = await fenceOff({ name: "pdu", agent: ok.agent, params: { ipaddr: "x" }, timeoutMs: 2000 }, "h2");
  assert.ok(r.totalMs >= 0);
  assert.equal(fs.readFileSync(ok.state, "utf8").trim(), "off");
  assert.match(fs.readFileSync(ok.input, "utf8"), /^action=status\nplug=h2\nipaddr=x\n$/);
  const sticky = fakeAgent("sticky", { sticky: true });
  await assert.rejects(
    fenceOff({ name: "pdu", agent: sticky.agent, params: {}, timeoutMs: 400 }, "h3"),
    (e: unknown) => e instanceof FenceError && /status says on/.test(e.message),
  );
});

test("a hanging agent is killed at its timeout", async () => {
  const slow = fakeAgent("slow", { sleep: 5 });
  const r = await runFence({ name: "pdu", agent: slow.agent, params: {}, timeoutMs: 300 }, "off", "h1");
  assert.equal(r.ok, false);
  assert.equal(r.timedOut, true);
});

test("the port's Fencer: true only when confirmed off, secrets from the secrets file", async () => {
  const ok = fakeAgent("ok2");
  const secrets = path.join(dir, "secrets.json");
  fs.writeFileSync(secrets, JSON.stringify({ h2: { password: "s3cret" } }));
  const results: boolean[] = [];
  const f = new AgentFencer({ secretsFile: secrets, onResult: (r) => results.push(r.ok) });
  assert.equal(
    await f.fence("h2", { agent: ok.agent, params: { username: "u" }, secretParams: ["password"] }, 2000),
    true,
  );
  assert.match(fs.readFileSync(ok.input, "utf8"), /password=s3cret/);
  const sticky = fakeAgent("sticky2", { sticky: true });
  assert.equal(await f.fence("h3", { agent: sticky.agent, params: {}, secretParams: [] }, 300), false);
  await assert.rejects(
    f.fence("h4", { agent: ok.agent, params: {}, secretParams: ["password"] }, 300),
    /fence secret password found neither in the secrets file .*secrets\.json/,
  );
  assert.deepEqual(results, [true, false, false]);
});

test("the port's Fencer status(): only `status` is run (nothing is powered), with the secrets; off, on, unknown, or an error", async () => {
  const dev = fakeAgent("st");
  const secrets = path.join(dir, "secrets-st.json");
  fs.writeFileSync(secrets, JSON.stringify({ h2: { password: "pw" } }));
  const f = new AgentFencer({ secretsFile: secrets });
  const device = { agent: dev.agent, params: { username: "u" }, secretParams: ["password"] };
  assert.equal(await f.status("h2", device, 2000), "on");
  assert.match(fs.readFileSync(dev.input, "utf8"), /^action=status\nplug=h2\n/);
  assert.match(fs.readFileSync(dev.input, "utf8"), /password=pw/);
  assert.equal(fs.readFileSync(dev.state, "utf8").trim(), "on", "status powered nothing");
  fs.writeFileSync(dev.state, "off");
  assert.equal(await f.status("h2", device, 2000), "off");
  const slow = fakeAgent("st-slow", { sleep: 5 });
  assert.equal(
    await f.status("h2", { ...device, agent: slow.agent }, 300),
    "unknown",
    "a device that hangs cannot tell",
  );
  await assert.rejects(
    f.status("h5", device, 300),
    RetryableError,
    "no secret for h5: an error, not a guess",
  );
});

test("the port's Fencer: secrets the file lacks come from the store (kvm.FenceDevice writes them)", async () => {
  const ok = fakeAgent("ok3");
  const secrets = path.join(dir, "secrets-partial.json");
  fs.writeFileSync(secrets, JSON.stringify({ h2: { username: "from-file" } }));
  const asked: string[] = [];
  const f = new AgentFencer({
    secretsFile: secrets,
    storeSecrets: async (h) => {
      asked.push(h);
      return h === "h2" ? { username: "from-store", password: "st0re" } : undefined;
    },
  });
  const device = { agent: ok.agent, params: {}, secretParams: ["username", "password"] };
  assert.equal(await f.fence("h2", device, 2000), true);
  const input = fs.readFileSync(ok.input, "utf8");
  assert.match(input, /username=from-file/, "the local file wins over the store");
  assert.match(input, /password=st0re/);
  await assert.rejects(
    f.fence("h5", device, 300),
    /fence secret username found neither in the secrets file .* nor in the store/,
  );
  assert.deepEqual(asked, ["h2", "h5"]);
});

test("a Debian fence agent (fence_dummy) runs through the same protocol", {
  skip: !fs.existsSync("/usr/sbin/fence_dummy"),
}, async () => {
  const r = await runFence(
    {
      name: "dummy",
      agent: "fence_dummy",
      params: { type: "file", status_file: path.join(dir, "nofile") },
      timeoutMs: 10000,
    },
    "metadata",
  );
  assert.equal(r.code, 0);
  const st = await runFence(
    { name: "dummy", agent: "fence_dummy", params: {}, timeoutMs: 10000 },
    "status",
    "x",
  );
  assert.ok(st.code === 0 || st.code === 2, `fence_dummy status exit ${st.code}: ${st.detail}`);
});
