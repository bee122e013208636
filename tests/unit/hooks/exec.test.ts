// The executable hook (hooks/exec.ts) with real small scripts in a temp folder: the JSON event
// on stdin, VMHA_EVENT_* in a clean environment (none of the agent's own variables), exit code and
// stderr reported, and a hook that hangs killed at its timeout (its children too).
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { drillEvent } from "../../../provider/runtime/hooks/events";
import { execAttempt, runExecHook } from "../../../provider/runtime/hooks/exec";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vmha-hook-exec-"));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function script(name: string, body: string): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, `#!/bin/sh\n${body}\n`, { mode: 0o700 });
  return p;
}

const event = drillEvent({
  cluster: "prod",
  sentBy: "h1",
  host: "h2",
  startedAt: new Date("2026-12-02T10:00:00Z"),
  at: "2026-12-02T10:01:00.000Z",
  passed: false,
  limitSeconds: 30,
  error: "a `quoted` $(not run) 'thing'",
});

describe("executable hook", () => {
  it("gets the event JSON on stdin and VMHA_EVENT_* in a clean environment", async () => {
    const out = path.join(dir, "out");
    const hook = script("record.sh", `cat > ${out}.json\nenv > ${out}.env\necho "a note" >&2\nexit 0`);
    process.env["VMHA_ETCD_PASSWORD"] = "must-not-leak";
    try {
      const r = await runExecHook(hook, event, 5000);
      assert.equal(r.code, 0);
      assert.equal(r.stderr, "a note");
    } finally {
      delete process.env["VMHA_ETCD_PASSWORD"];
    }
    assert.deepEqual(JSON.parse(fs.readFileSync(`${out}.json`, "utf8")), event);
    const env = Object.fromEntries(
      fs
        .readFileSync(`${out}.env`, "utf8")
        .trim()
        .split("\n")
        .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
    );
    assert.equal(env["VMHA_EVENT_KIND"], "drill");
    assert.equal(env["VMHA_EVENT_ID"], event.id);
    assert.equal(env["VMHA_EVENT_HOST"], "h2");
    assert.equal(env["VMHA_EVENT_PASSED"], "0");
    assert.equal(env["VMHA_ETCD_PASSWORD"], undefined, "the agent's environment is not passed on");
  });

  it("a non-zero exit fails the attempt with its code and stderr; success is logged with both", async () => {
    const bad = script("bad.sh", 'cat >/dev/null; echo "pager down" >&2; exit 3');
    await assert.rejects(
      execAttempt(bad, event, 5000, () => undefined),
      /exit 3 in \d+ ms; stderr: pager down/,
    );
    const lines: string[] = [];
    const good = script("good.sh", "exit 0");
    await execAttempt(good, event, 5000, (_l, m) => lines.push(m));
    assert.match(lines[0]!, /good\.sh for drill prod:drill:h2:.*: exit 0 in \d+ ms$/);
  });

  it("a hook that hangs is killed at its timeout, with what it started", async () => {
    const pidFile = path.join(dir, "child.pid");
    const hang = script("hang.sh", `sleep 30 & echo $! > ${pidFile}\nwait`);
    const t0 = performance.now();
    await assert.rejects(
      execAttempt(hang, event, 300, () => undefined),
      /killed after the 300 ms timeout/,
    );
    const ms = performance.now() - t0;
    assert.ok(ms < 3000, `took ${ms} ms`);
    const child = Number(fs.readFileSync(pidFile, "utf8"));
    await new Promise((r) => setTimeout(r, 100));
    // gone, or dead and waiting for a reaper (this machine's PID 1 reaps slowly): not running
    let state = "gone";
    try {
      state = fs.readFileSync(`/proc/${child}/stat`, "utf8").split(") ")[1]!.charAt(0);
    } catch {
      /* gone */
    }
    assert.match(state, /^(gone|Z|X)$/, `its child (sleep) is not running (state ${state})`);
  });

  it("a missing or non-executable hook is a failed attempt naming it", async () => {
    await assert.rejects(
      execAttempt(path.join(dir, "nope"), event, 1000, () => undefined),
      /nope: spawn .*ENOENT/,
    );
    const p = path.join(dir, "noexec.sh");
    fs.writeFileSync(p, "#!/bin/sh\nexit 0\n", { mode: 0o600 });
    await assert.rejects(
      execAttempt(p, event, 1000, () => undefined),
      /EACCES/,
    );
  });
});
