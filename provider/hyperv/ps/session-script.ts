// The one-time set-up of a session (pure): UTF-8 output, and for remoting the PSSession that
// every later script runs in. The password never appears in the script: the shell is started with
// it in its environment (PASSWORD_ENV) and the script reads `$env:` (review finding 15: script
// text lands in node-powershell's debug log and in script-block logging).
import type { Connection } from "../connection";
import { cmd, ERROR_REPORT, literal, paren, raw, sw } from "./script";

export const SESSION_VARIABLE = "vmhaSession";

/** The environment variable that carries the remoting password into the shell. */
export const PASSWORD_ENV = "VMHA_PS_PASSWORD";

/** The JSON key of the line the set-up prints with the local shell's language mode. */
export const LANGUAGE_MODE_KEY = "vmhaLanguageMode";
/** The same for the remoting session on the node. */
export const REMOTE_LANGUAGE_MODE_KEY = "vmhaRemoteLanguageMode";

/**
 * Prints the language mode as one JSON line. Reading `$ExecutionContext.SessionState.LanguageMode`
 * works in ConstrainedLanguage mode (Microsoft's about_Language_Modes uses it to find the mode);
 * ConvertTo-Json writes the enum as its number.
 */
function printLanguageMode(key: string, expr: string): string {
  return `ConvertTo-Json -Compress -InputObject @{ ${key} = ${expr} }`;
}

const LANGUAGE_MODE = "$ExecutionContext.SessionState.LanguageMode";

export function sessionSetup(c: Connection): string {
  // First, before anything ConstrainedLanguage mode forbids: the local shell's language mode
  // (review finding 16). Outside the try: its catch block writes with [Console], which that mode
  // forbids too. session.ts reads the line and fails with what to do.
  const probe = printLanguageMode(LANGUAGE_MODE_KEY, LANGUAGE_MODE);
  const parts = ["[Console]::OutputEncoding = [Text.Encoding]::UTF8", "$ErrorActionPreference = 'Stop'"];
  if (c.computerName || c.hostName) {
    const cred =
      c.userName && c.password && !c.hostName
        ? paren(
            cmd("New-Object", {
              TypeName: "System.Management.Automation.PSCredential",
              ArgumentList: raw(
                `${literal(c.userName)}, ${paren(cmd("ConvertTo-SecureString", { String: raw(`$env:${PASSWORD_ENV}`), AsPlainText: sw(), Force: sw() })).text}`,
              ),
            }),
          )
        : undefined;
    const target = c.computerName
      ? { ComputerName: c.computerName, Credential: cred, UseSSL: c.useSsl ? sw() : undefined }
      : { HostName: c.hostName, UserName: c.userName };
    parts.push(`$${SESSION_VARIABLE} = ${cmd("New-PSSession", target).text}`);
    // The node's own mode: its application control policy applies to remoting sessions too.
    parts.push(
      printLanguageMode(
        REMOTE_LANGUAGE_MODE_KEY,
        `(Invoke-Command -Session $${SESSION_VARIABLE} -ErrorAction Stop -ScriptBlock { ${LANGUAGE_MODE} })`,
      ),
    );
  }
  return `${probe}; try { ${parts.join("; ")} } catch { ${ERROR_REPORT} }`;
}
