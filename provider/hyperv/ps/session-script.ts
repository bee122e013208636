// The one-time set-up of a session (pure): UTF-8 output, and for remoting the PSSession that
// every later script runs in. The password never appears in the script: the shell is started with
// it in its environment (PASSWORD_ENV) and the script reads `$env:` (review finding 15: script
// text lands in node-powershell's debug log and in script-block logging).
import type { Connection } from "../connection";
import { cmd, ERROR_REPORT, literal, paren, raw, sw } from "./script";

export const SESSION_VARIABLE = "vmhaSession";

/** The environment variable that carries the remoting password into the shell. */
export const PASSWORD_ENV = "VMHA_PS_PASSWORD";

export function sessionSetup(c: Connection): string {
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
  }
  return `try { ${parts.join("; ")} } catch { ${ERROR_REPORT} }`;
}
