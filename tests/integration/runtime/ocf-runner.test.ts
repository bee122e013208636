// The OCF runner with a real resource agent (ocf:heartbeat:Dummy from Debian resource-agents):
// OCF_RESKEY_* parameters, the OCF exit codes, timeouts, bad names refused.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, test } from "node:test";
import { OCF, parseAgent, runOcf } from "../../../provider/runtime/ocf/runner";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vmha-it-ocf-"));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const have = fs.existsSync("/usr/lib/ocf/resource.d/heartbeat/Dummy");

test("ocf:heartbeat:Dummy start / monitor / stop with OCF exit codes", { skip: !have }, async () => {
  const res = { name: "d1", agent: "ocf:heartbeat:Dummy", params: { state: path.join(dir, "d1.state") } };
  assert.equal((await runOcf(res, "monitor", 10000)).code, OCF.NOT_RUNNING);
  const start = await runOcf(res, "start", 10000);
  assert.equal(start.code, OCF.SUCCESS, start.output);
  assert.equal((await runOcf(res, "monitor", 10000)).codeName, "success");
  assert.equal((await runOcf(res, "stop", 10000)).code, OCF.SUCCESS);
  assert.equal((await runOcf(res, "monitor", 10000)).code, OCF.NOT_RUNNING);
  const meta = await runOcf(res, "meta-data", 10000);
  assert.equal(meta.code, OCF.SUCCESS);
});

test("agent names and parameter names are checked", () => {
  assert.equal(parseAgent("ocf:heartbeat:IPaddr2").file, "/usr/lib/ocf/resource.d/heartbeat/IPaddr2");
  assert.throws(() => parseAgent("lsb:foo"), /ocf:<provider>:<type>/);
  return assert.rejects(
    runOcf({ name: "x", agent: "ocf:heartbeat:Dummy", params: { "bad-name": "1" } }, "monitor", 1000),
    /not valid for OCF/,
  );
});

test("a missing agent is a generic failure, not a hang", async () => {
  const r = await runOcf({ name: "x", agent: "ocf:nope:Missing", params: {} }, "monitor", 2000);
  assert.notEqual(r.code, OCF.SUCCESS);
});
