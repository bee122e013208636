// info() of the device watchdog: the timeout is looked up once per open, not per call (the loop
// asks every iteration), and only while the device is open.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { DeviceWatchdog } from "../../../provider/runtime/watchdog/softdog";

const nodeFs = require("node:fs") as typeof fs;

test("info(): the declared timeout (no /sys entry for a plain file), looked up once per open", async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vmha-wd-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const dev = path.join(dir, "watchdog");
  fs.writeFileSync(dev, "");
  const real = nodeFs.realpathSync;
  let lookups = 0;
  nodeFs.realpathSync = ((p: fs.PathLike, o?: fs.EncodingOption) => {
    lookups++;
    return real(p, o);
  }) as typeof nodeFs.realpathSync;
  t.after(() => {
    nodeFs.realpathSync = real;
  });

  const wd = new DeviceWatchdog(dev, 5000);
  assert.equal(wd.info(), undefined, "not open: no timeout");
  await wd.arm(5000);
  assert.equal(lookups, 1);
  for (let i = 0; i < 10; i++) {
    await wd.pet();
    assert.deepEqual(wd.info(), { timeoutMs: 5000 });
  }
  await wd.arm(5000); // open already: a pet
  assert.equal(lookups, 1, "looked up once per open");
  await wd.disarm();
  assert.equal(wd.info(), undefined, "closed: no timeout");
  await wd.arm(5000);
  assert.equal(lookups, 2, "a new open looks again");
  assert.deepEqual(wd.info(), { timeoutMs: 5000 });
  await wd.disarm();
});

test("info(): undefined when the device exposes no timeout and none was declared", async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vmha-wd-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const dev = path.join(dir, "watchdog");
  fs.writeFileSync(dev, "");
  const wd = new DeviceWatchdog(dev);
  await wd.arm(5000);
  assert.equal(wd.info(), undefined);
  await wd.disarm();
});
