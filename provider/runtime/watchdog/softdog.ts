// The Watchdog of the port. With a device (/dev/watchdog from softdog or hardware), the kernel
// resets the host when the agent stops petting it, so even a hung agent fences itself. Without
// one, NoWatchdog documents that the self-fence path then relies on the agent alone.
import * as fs from "node:fs";
import type { Watchdog } from "../env";

const WDIOC_SETTIMEOUT = 0xc0045706;

export class DeviceWatchdog implements Watchdog {
  private fd: number | undefined;
  constructor(readonly device: string) {}

  async arm(timeoutMs: number): Promise<void> {
    this.fd = fs.openSync(this.device, "w");
    // Node has no ioctl: the timeout must be set when the module is loaded
    // (modprobe softdog soft_margin=N); we check and warn through the caller.
    void WDIOC_SETTIMEOUT;
    void timeoutMs;
    fs.writeSync(this.fd, "\0");
  }

  async pet(): Promise<void> {
    if (this.fd !== undefined) fs.writeSync(this.fd, "\0");
  }

  async disarm(): Promise<void> {
    if (this.fd === undefined) return;
    fs.writeSync(this.fd, "V"); // magic close: a clean stop does not reset the host
    fs.closeSync(this.fd);
    this.fd = undefined;
  }
}

export class NoWatchdog implements Watchdog {
  async arm(): Promise<void> {}
  async pet(): Promise<void> {}
  async disarm(): Promise<void> {}
}
