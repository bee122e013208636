// Runs any fence agent (Debian fence-agents, or the lab's) with the fence-agents stdin protocol:
// key=value lines (action=, plug=, and the device's own options), exit code 0 = success; for
// `status`, 0 = on, 2 = off, anything else = unknown. `off()` succeeds only after `status`
// confirmed the plug is off.
import { childEnv, describeFailure, type RunResult, runCommand } from "../proc/run";

export interface FenceDevice {
  /** Device name (for messages). */
  name: string;
  /** Agent executable: a name on PATH (fence_ipmilan) or an absolute path. */
  agent: string;
  /** Options passed as key=value lines (ipaddr, username, password, ...). Never logged. */
  params: Record<string, string>;
  /** Deadline of one agent run. */
  timeoutMs: number;
  /** Names of params whose values are secrets (redacted from output), besides password-like names. */
  secretParams?: readonly string[];
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

/**
 * Any control character is refused: Python fence-agents read stdin with universal newlines, so a
 * \r (not only \n) ends the line, and a value like "x\rplug=other" would fence another machine.
 */
function hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/** Param names whose values are treated as secrets even when the spec forgot secretParams. */
const SECRET_NAME = /passw|secret|token|community/i;

export function fenceInput(
  action: FenceAction,
  plug: string | undefined,
  params: Record<string, string>,
): string {
  const lines = [`action=${action}`];
  // Errors name the parameter, never its value: it may be a password.
  if (plug !== undefined) {
    if (hasControl(plug)) throw new Error("fence parameter plug: control characters are not allowed");
    lines.push(`plug=${plug}`);
  }
  for (const [k, v] of Object.entries(params)) {
    if (k === "" || hasControl(k) || k.includes("="))
      throw new Error(
        `fence parameter ${JSON.stringify(k)}: control characters and "=" are not allowed in names`,
      );
    if (hasControl(v))
      throw new Error(`fence parameter ${k}: control characters are not allowed in its value`);
    if (k === "action") throw new Error("fence parameter action: set by vmha, not by the device's params");
    if (k === "plug" || k === "port") {
      // fence-agents take plug and port as one option, the later line winning: a second,
      // different one would silently redirect the power-off.
      if (plug === undefined) continue;
      if (v === plug) continue;
      throw new Error(`fence parameter ${k} names another plug than the one being fenced; give only one`);
    }
    lines.push(`${k}=${v}`);
  }
  if (plug === undefined && params["plug"] !== undefined && params["port"] !== undefined) {
    if (params["plug"] !== params["port"])
      throw new Error("fence parameters plug and port name different plugs; give only one");
    lines.push(`plug=${params["plug"]}`);
  } else if (plug === undefined) {
    for (const k of ["plug", "port"]) if (params[k] !== undefined) lines.push(`${k}=${params[k]}`);
  }
  return `${lines.join("\n")}\n`;
}

/** The agent's output with every secret parameter value replaced by ***. */
export function redact(text: string, dev: Pick<FenceDevice, "params" | "secretParams">): string {
  const names = new Set(dev.secretParams ?? []);
  const values = Object.entries(dev.params)
    .filter(([k, v]) => v !== "" && (names.has(k) || SECRET_NAME.test(k)))
    .map(([, v]) => v)
    .sort((a, b) => b.length - a.length);
  let out = text;
  for (const v of values) out = out.split(v).join("***");
  return out;
}

export async function runFence(dev: FenceDevice, action: FenceAction, plug?: string): Promise<FenceRun> {
  const raw = await runCommand(dev.agent, [], {
    input: fenceInput(action, plug, dev.params),
    timeoutMs: dev.timeoutMs,
    env: childEnv(),
  });
  // The output goes to the log and the store's event log: an agent that echoes its input (or a
  // failing one printing its command line) must not leak the device's password there.
  const r: RunResult = { ...raw, stdout: redact(raw.stdout, dev), stderr: redact(raw.stderr, dev) };
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
