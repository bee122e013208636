// First looks at OCF resources ("does it run here already?") run in the background, a few at a
// time. A monitor may take up to ocfTimeoutMs (20 s), and the loop that needs the answer must
// keep renewing its lease meanwhile: until a probe answers, the resource is "unknown" here.
// Also the OCF result helpers of HostResources.
import { RetryableError, TerminalError } from "../env";
import { OCF, type OcfResource, type OcfRun } from "../ocf/runner";

export class ProbePool {
  private readonly queue: OcfResource[] = [];
  /** Queued or running. */
  private readonly pending = new Set<string>();
  private running = 0;

  constructor(
    /** Runs one probe and records its result; its rejection is the caller's to log. */
    private readonly probe: (res: OcfResource) => Promise<void>,
    private readonly concurrency: number,
  ) {}

  schedule(res: OcfResource): void {
    if (this.pending.has(res.name)) return;
    this.pending.add(res.name);
    this.queue.push(res);
    this.pump();
  }

  has(name: string): boolean {
    return this.pending.has(name);
  }

  names(): string[] {
    return [...this.pending];
  }

  private pump(): void {
    while (this.running < Math.max(1, this.concurrency) && this.queue.length > 0) {
      const res = this.queue.shift()!;
      this.running++;
      // The result is recorded by probe() before the name leaves `pending`: there is no moment
      // at which the resource is neither pending nor known.
      void this.probe(res)
        .catch(() => {})
        .finally(() => {
          this.running--;
          this.pending.delete(res.name);
          this.pump();
        });
    }
  }
}

const TERMINAL_OCF = new Set<number>([
  OCF.ERR_ARGS,
  OCF.ERR_UNIMPLEMENTED,
  OCF.ERR_PERM,
  OCF.ERR_INSTALLED,
  OCF.ERR_CONFIGURED,
]);

/** Probe answers meaning "not here"; any other (a failure, a timeout) may leave it active. */
export const PROBE_NOT_RUNNING = new Set<number>([OCF.NOT_RUNNING, OCF.ERR_INSTALLED]);

export function lastLine(output: string): string {
  return output ? `: ${output.split("\n").pop()}` : "";
}

export function ocfError(name: string, host: string, r: OcfRun, more = ""): Error {
  const text = `${r.action} on ${host}: ${r.codeName}${lastLine(r.output)}${more}`;
  return TERMINAL_OCF.has(r.code)
    ? new TerminalError(`resource ${name}`, text)
    : new RetryableError(`resource ${name}`, text);
}
