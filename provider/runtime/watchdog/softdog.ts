// The Watchdog of the port. With a device (/dev/watchdog from softdog or hardware, or the lab's
// emulated one, a FIFO), the host is reset when the agent stops petting it, so even a hung agent
// fences itself. Without one, NoWatchdog says so: the primary then never frees this host's
// resources on the self-fence deadline alone (it waits for the fence device).
import * as fs from "node:fs";
import * as path from "node:path";
import type { Watchdog } from "../env";

/**
 * The device's real timeout in ms: /sys/class/watchdog/<name>/timeout for a kernel device
 * (whole seconds); undefined when it cannot be read.
 */
export function deviceTimeoutMs(device: string): number | undefined {
  try {
    const real = fs.realpathSync(device);
    const name = path.basename(real) === "watchdog" ? "watchdog0" : path.basename(real);
    const s = fs.readFileSync(`/sys/class/watchdog/${name}/timeout`, "utf8").trim();
    const n = Number(s);
    return Number.isFinite(n) && n > 0 ? n * 1000 : undefined;
  } catch {
    return undefined;
  }
}

export class DeviceWatchdog implements Watchdog {
  private fd: number | undefined;
  /**
   * The timeout, read when the device was opened: info() is asked every iteration, and each
   * /sys lookup costs a realpath and a read (and a thrown ENOENT for the lab's FIFO). It cannot
   * change while the device is open: the device has one opener (us) and Node sets no timeout
   * (no ioctl); a module reload needs it closed, and the next arm() reads it again.
   */
  private timeoutMs: number | undefined;
  /**
   * @param declaredTimeoutMs the timeout the operator declares (--watchdog-timeout), used when
   *   the device does not expose one (the lab's FIFO); a kernel device's own value wins.
   */
  constructor(
    readonly device: string,
    private readonly declaredTimeoutMs?: number,
  ) {}

  /** Opens the device (which pets it); when it is open already, pets it. */
  async arm(_timeoutMs: number): Promise<void> {
    if (this.fd !== undefined) return this.pet();
    // Node has no ioctl: the timeout is set when the module is loaded (modprobe softdog
    // soft_margin=N); info() reports the real one, and the primary trusts the self-fence
    // deadline only if it is no longer than the spec's watchdogTimeoutMs.
    // O_NONBLOCK: a FIFO (the lab's emulated device) with no reader fails at once (ENXIO)
    // instead of blocking the whole agent; harmless for /dev/watchdog.
    const fd = fs.openSync(this.device, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
    try {
      fs.writeSync(fd, "\0");
    } catch (err) {
      fs.closeSync(fd);
      throw err;
    }
    this.fd = fd;
    this.timeoutMs = deviceTimeoutMs(this.device) ?? this.declaredTimeoutMs;
  }

  async pet(): Promise<void> {
    if (this.fd !== undefined) fs.writeSync(this.fd, "\0");
  }

  async disarm(): Promise<void> {
    if (this.fd === undefined) return;
    fs.writeSync(this.fd, "V"); // magic close: leaving the cluster does not reset the host
    fs.closeSync(this.fd);
    this.fd = undefined;
    this.timeoutMs = undefined;
  }

  info(): { timeoutMs: number } | undefined {
    if (this.fd === undefined || this.timeoutMs === undefined) return undefined;
    return { timeoutMs: this.timeoutMs };
  }
}

export class NoWatchdog implements Watchdog {
  async arm(): Promise<void> {}
  async pet(): Promise<void> {}
  async disarm(): Promise<void> {}
  info(): undefined {
    return undefined;
  }
}
