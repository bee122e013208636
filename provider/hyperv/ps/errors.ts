// PowerShell failures -> vmha errors that name the cmdlet and the object, split into retryable
// (remoting, RPC, a crashed shell) and terminal (everything a retry cannot fix). Pure.
import { RetryableError, TerminalError } from "../../core/errors";

/** What every script's catch block writes on stderr (see ERROR_REPORT in script.ts). */
export interface PsErrorReport {
  command?: string | null;
  message?: string | null;
  id?: string | null;
  category?: string | null;
  target?: string | null;
}

const TRANSIENT = [
  /PSRemotingTransportException/i,
  /WinRM/i,
  /RPC server is unavailable/i,
  /PSSessionStateBroken/i,
  /ConnectionError/i,
  /OpenError/i,
  /The operation has timed out/i,
  /is temporarily unavailable/i,
];

const ACCESS = /access is denied|AccessDenied|logon failure/i;

export class PowerShellError extends TerminalError {
  constructor(
    message: string,
    readonly report: PsErrorReport,
  ) {
    super(message);
  }
  /** The object the command named does not exist (refresh treats this as "deleted"). */
  get notFound(): boolean {
    return this.report.category === "ObjectNotFound";
  }
}

export class TransientPowerShellError extends RetryableError {
  constructor(
    message: string,
    readonly report: PsErrorReport,
  ) {
    super(message);
  }
}

/** The vmha error report in stderr text, if the script wrote one. */
export function parseErrorReport(stderr: string): PsErrorReport | undefined {
  for (const line of stderr.split(/\r?\n/).reverse()) {
    const t = line.trim();
    if (!t.startsWith("{") || !t.includes('"vmhaError"')) continue;
    try {
      return JSON.parse(t) as PsErrorReport;
    } catch {
      // not ours
    }
  }
  return undefined;
}

/**
 * One sentence: `<label>: <Cmdlet> failed for '<target>': <message> [<error id>]`. Credentials
 * never appear: scripts carry them only in the session set-up, whose errors are reported without
 * the script text.
 */
export function toError(label: string, stderr: string): PowerShellError | TransientPowerShellError {
  const r = parseErrorReport(stderr);
  if (!r) {
    const text = stderr.trim().split(/\r?\n/).slice(0, 6).join(" | ");
    const report = { message: text };
    return TRANSIENT.some((p) => p.test(text))
      ? new TransientPowerShellError(`${label}: ${text}`, report)
      : new PowerShellError(`${label}: ${text}`, report);
  }
  const cmd = r.command ? `${r.command} failed` : "PowerShell failed";
  const target = r.target ? ` for '${r.target}'` : "";
  const msg = `${label}: ${cmd}${target}: ${(r.message ?? "").trim()}${r.id ? ` [${r.id}]` : ""}`;
  const haystack = `${r.id ?? ""} ${r.category ?? ""} ${r.message ?? ""}`;
  if (ACCESS.test(haystack))
    return new PowerShellError(`${msg} (check vmha:hypervUserName / vmha:hypervPassword)`, r);
  return TRANSIENT.some((p) => p.test(haystack))
    ? new TransientPowerShellError(msg, r)
    : new PowerShellError(msg, r);
}
