// `npm run demo -- --non-interactive` as a test: the main job end to end on the lab (lab up,
// pulumi up of the quickstart through vmha's language host, vmha status, a failover drill,
// teardown), exiting 0 only when every step worked.
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { it } from "node:test";
import { ROOT } from "../support/engine";
import { down } from "./lib/lab";

it("npm run demo --non-interactive brings up the quickstart, drills a failover and tears down", {
  timeout: 15 * 60_000,
}, () => {
  const backend = fs.mkdtempSync(path.join(os.tmpdir(), "vmha-demo-"));
  try {
    const r = spawnSync(
      process.execPath,
      [path.join(ROOT, "dist", "scripts", "demo.js"), "--non-interactive"],
      {
        cwd: ROOT,
        encoding: "utf8",
        env: { ...process.env, VMHA_DEMO_STACK: "demo-test", PULUMI_BACKEND_URL: `file://${backend}` },
      },
    );
    const out = r.stdout + r.stderr;
    assert.equal(r.status, 0, out.slice(-6000));
    assert.match(out, /=== 2\/5 pulumi up of the quickstart/);
    assert.match(out, /web\s+running on h\d at \d+\.\d\d s/);
    assert.match(out, /drill passed/);
    assert.match(out, /lab down/);
  } finally {
    down();
    fs.rmSync(backend, { recursive: true, force: true });
  }
});
