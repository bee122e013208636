// Where the provider's PowerShell runs: a local shell on a cluster node (or a management host
// with the FailoverClusters and Hyper-V modules), or a remoting session to a node. Pure.
import * as crypto from "node:crypto";
import { TerminalError } from "../core/errors";
import type { ConfigReader } from "../core/resource";

export interface Connection {
  /** `pwsh` (PowerShell 7) or `powershell` (Windows PowerShell 5.1). */
  shell: "pwsh" | "powershell";
  /** WinRM remoting target (`New-PSSession -ComputerName`). */
  computerName?: string;
  /** SSH remoting target (`New-PSSession -HostName`, PowerShell 7). */
  hostName?: string;
  userName?: string;
  /** Secret: from `vmha:hypervPassword` (set with `pulumi config set --secret`) or VMHA_HYPERV_PASSWORD. */
  password?: string;
  useSsl: boolean;
}

export const CONFIG_KEYS = {
  shell: "vmha:hypervShell",
  computerName: "vmha:hypervComputerName",
  hostName: "vmha:hypervHostName",
  userName: "vmha:hypervUserName",
  password: "vmha:hypervPassword",
  useSsl: "vmha:hypervUseSsl",
} as const;

export function connectionFrom(config: ConfigReader, env: NodeJS.ProcessEnv = process.env): Connection {
  const get = (k: keyof typeof CONFIG_KEYS) => {
    const v = config.get(CONFIG_KEYS[k]);
    return v === undefined || v === "" ? undefined : v;
  };
  const shell = get("shell") ?? (process.platform === "win32" ? "powershell" : "pwsh");
  if (shell !== "pwsh" && shell !== "powershell") {
    throw new TerminalError(
      `${CONFIG_KEYS.shell} must be "pwsh" or "powershell", got ${JSON.stringify(shell)}`,
    );
  }
  const c: Connection = {
    shell,
    computerName: get("computerName"),
    hostName: get("hostName"),
    userName: get("userName") ?? env.VMHA_HYPERV_USERNAME,
    password: get("password") ?? env.VMHA_HYPERV_PASSWORD,
    useSsl: get("useSsl") === "true",
  };
  if (c.computerName && c.hostName) {
    throw new TerminalError(
      `set only one of ${CONFIG_KEYS.computerName} (WinRM) and ${CONFIG_KEYS.hostName} (SSH)`,
    );
  }
  if (c.password && !c.userName) {
    throw new TerminalError(`${CONFIG_KEYS.password} is set but ${CONFIG_KEYS.userName} is not`);
  }
  return c;
}

/** A key that identifies a connection without holding its password in clear text. */
export function connectionKey(c: Connection): string {
  const { password, ...rest } = c;
  const fp = password ? crypto.createHash("sha256").update(password).digest("hex").slice(0, 12) : "";
  return JSON.stringify({ ...rest, fp });
}
