// L7: the provider and type of ocf:<provider>:<type> become path components under OCF_ROOT, so
// anything that could leave resource.d/<provider>/ is refused, with the resource named.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseAgent, runOcf } from "../../../provider/runtime/ocf/runner";

test("ocf provider and type: '..', '/', dot-only and odd characters are refused, naming the resource", () => {
  assert.equal(parseAgent("ocf:heartbeat:IPaddr2", "vip").file, "/usr/lib/ocf/resource.d/heartbeat/IPaddr2");
  assert.equal(parseAgent("ocf:my-co:db_v1.2", "db").file, "/usr/lib/ocf/resource.d/my-co/db_v1.2");
  for (const bad of [
    "ocf:..:bin/sh",
    "ocf:..:sh",
    "ocf:heartbeat:..",
    "ocf:.:Dummy",
    "ocf:heartbeat:a..b",
    "ocf:heart/beat:Dummy",
    "ocf:heartbeat:Dum my",
    "ocf:heartbeat:-x",
    "ocf:heartbeat:",
    "ocf:heartbeat:x\n",
  ]) {
    assert.throws(() => parseAgent(bad, "web"), /^Error: resource web: /, bad);
  }
});

test("runOcf refuses a '..' provider before running anything", async () => {
  await assert.rejects(
    runOcf({ name: "vip", agent: "ocf:..:..", params: {} }, "monitor", 1000),
    /resource vip: resource agent provider "\.\."/,
  );
});
