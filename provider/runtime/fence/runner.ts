// Runs any fence agent (Debian fence-agents, or the lab's) with the fence-agents stdin protocol:
// key=value lines (action=, plug=, and the device's own options), exit code 0 = success; for
// `status`, 0 = on, 2 = off, anything else = unknown. `off()` succeeds only after `status`
// confirmed the plug is off.
import { describeFailure, runCommand } from "../proc/run";

export interface FenceDevice {
  /** Device name (for messages). */
  name: string;
  /** Agent executable: a name on PATH (fence_ipmilan) or an absolute path. */
  agent: string;
  /** Options passed as key=value lines (ipaddr, username, password, ...). Never logged. */
  params: Record<string, string>;
  /** Deadline of one agent run. */
  timeoutMs: number;
}

export type FenceAction = "off" | "on" | "reboot" | "status" | "monitor" | "metadata" | "list";

export interface FenceRun {
  action: FenceAction;
  code: number | null;
  ok: boolean;
  timedOut: boolean;
  ms: number;
  /** Last lines of the agent's output (stderr, or stdout), for the log. */
  detail: string;
}

export class FenceError extends Error {
  override readonly name = "FenceError";
  constructor(
    readonly device: string,
    readonly host: string,
    message: string,
  ) {
    super(`fence device ${device} for ${host}: ${message}`);
  }
}

export function fenceInput(
  action: FenceAction,
  plug: string | undefined,
  params: Record<string, string>,
): string {
  const lines = [`action=${action}`];
  if (plug !== undefined) lines.push(`plug=${plug}`);
  for (const [k, v] of Object.entries(params)) {
    if (/[\n=]/.test(k) || /\n/.test(v))
      throw new Error(`fence parameter ${k}: newlines and "=" in names are not allowed`);
    lines.push(`${k}=${v}`);
  }
  return `${lines.join("\n")}\n`;
}

export async function runFence(dev: FenceDevice, action: FenceAction, plug?: string): Promise<FenceRun> {
  const r = await runCommand(dev.agent, [], {
    input: fenceInput(action, plug, dev.params),
    timeoutMs: dev.timeoutMs,
  });
  const ok = action === "status" ? r.code === 0 || r.code === 2 : r.code === 0;
  return {
    action,
    code: r.code,
    ok,
    timedOut: r.timedOut,
    ms: r.ms,
    detail: ok ? "" : describeFailure(dev.agent, r),
  };
}

export type PowerStatus = "on" | "off" | "unknown";

export async function fenceStatus(
  dev: FenceDevice,
  plug: string,
): Promise<{ status: PowerStatus; run: FenceRun }> {
  const run = await runFence(dev, "status", plug);
  const status: PowerStatus = run.code === 0 ? "on" : run.code === 2 ? "off" : "unknown";
  return { status, run };
}

export interface FenceOffResult {
  offMs: number;
  confirmMs: number;
  totalMs: number;
}

/** Powers the host off and confirms it with `status`; throws FenceError otherwise. */
export async function fenceOff(dev: FenceDevice, plug: string): Promise<FenceOffResult> {
  const t0 = performance.now();
  const off = await runFence(dev, "off", plug);
  if (!off.ok) throw new FenceError(dev.name, plug, `off failed: ${off.detail}`);
  const t1 = performance.now();
  const confirmDeadline = t1 + dev.timeoutMs;
  for (;;) {
    const { status, run } = await fenceStatus(dev, plug);
    if (status === "off") {
      const t2 = performance.now();
      return { offMs: t1 - t0, confirmMs: t2 - t1, totalMs: t2 - t0 };
    }
    if (performance.now() > confirmDeadline) {
      throw new FenceError(
        dev.name,
        plug,
        `off reported success but status says ${status}${run.detail ? ` (${run.detail})` : ""}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
