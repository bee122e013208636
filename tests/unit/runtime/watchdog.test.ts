// The watchdog adapter against a stand-in device file: pets write a byte, a clean disarm writes
// the magic 'V' (so the kernel does not reset the host on a clean stop).
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { DeviceWatchdog } from "../../../provider/runtime/watchdog/softdog";

test("arm, pet and magic-close disarm", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vmha-wd-"));
  const dev = path.join(dir, "watchdog");
  fs.writeFileSync(dev, "");
  try {
    const wd = new DeviceWatchdog(dev);
    await wd.arm(1500);
    await wd.pet();
    await wd.disarm();
    assert.equal(fs.readFileSync(dev, "latin1"), "\0\0V");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
