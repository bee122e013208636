// The one way this package talks to libvirt: `virsh -c <uri>` per call (no native bindings here).
// A call costs ~25 ms (process start); start ~0.26 s, destroy ~0.22 s on the lab.
import { childEnv, describeFailure, runCommand } from "../proc/run";

export class LibvirtError extends Error {
  override readonly name = "LibvirtError";
  constructor(
    readonly uri: string,
    readonly domain: string | undefined,
    message: string,
    /** The virsh call hit its deadline: libvirtd may still complete what it asked for. */
    readonly timedOut = false,
  ) {
    super(`libvirt ${uri}${domain ? ` domain ${domain}` : ""}: ${message}`);
  }
}

export interface VirshOptions {
  uri: string;
  /** Deadline per virsh call. Default 10 s. */
  timeoutMs?: number;
  /** The virsh program; default "virsh" on PATH (tests put a fake one here). */
  binary?: string;
}

export class Virsh {
  constructor(readonly opts: VirshOptions) {}

  /** Runs virsh; returns stdout or throws LibvirtError naming the domain. */
  async run(args: readonly string[], domain?: string, input?: string): Promise<string> {
    const r = await this.tryRun(args, input);
    if (r.code !== 0)
      throw new LibvirtError(this.opts.uri, domain, describeFailure(`virsh ${args[0]}`, r), r.timedOut);
    return r.stdout;
  }

  async tryRun(
    args: readonly string[],
    input?: string,
  ): Promise<{
    code: number | null;
    stdout: string;
    stderr: string;
    timedOut: boolean;
    ms: number;
    signal: NodeJS.Signals | null;
  }> {
    return runCommand(this.opts.binary ?? "virsh", ["-q", "-c", this.opts.uri, ...args], {
      timeoutMs: this.opts.timeoutMs ?? 10000,
      ...(input !== undefined ? { input } : {}),
      env: childEnv({ LC_ALL: "C" }),
    });
  }
}

/** "error: failed to get domain 'x'" and friends: the domain does not exist on this host. */
export function isNoDomain(stderr: string): boolean {
  return /failed to get domain|Domain not found|no domain with matching/i.test(stderr);
}
