// Where the provider's PowerShell runs: a local shell on a cluster node (or a management host
// with the FailoverClusters and Hyper-V modules), or a remoting session to a node. Pure.
import * as crypto from "node:crypto";
import { configBoolean } from "../core/config-values";
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

/** Environment variables read when the stack configuration leaves a setting unset. */
export const ENV_KEYS = {
  userName: "VMHA_HYPERV_USERNAME",
  password: "VMHA_HYPERV_PASSWORD",
  useSsl: "VMHA_HYPERV_USE_SSL",
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
    userName: get("userName") ?? env[ENV_KEYS.userName],
    password: get("password") ?? env[ENV_KEYS.password],
    // "True" or "1" once meant plain HTTP without a word (review finding 16).
    useSsl: configBoolean(
      get("useSsl") ?? env[ENV_KEYS.useSsl],
      `${CONFIG_KEYS.useSsl} (or ${ENV_KEYS.useSsl})`,
    ),
  };
  if (c.computerName && c.hostName) {
    throw new TerminalError(
      `set only one of ${CONFIG_KEYS.computerName} (WinRM) and ${CONFIG_KEYS.hostName} (SSH)`,
    );
  }
  if (c.hostName && c.password) {
    // PowerShell's SSH remoting (New-PSSession -HostName) takes no password: it authenticates with
    // an SSH key. Ignoring the password silently hid why the login failed (review finding 16).
    throw new TerminalError(
      `${CONFIG_KEYS.password} (or ${ENV_KEYS.password}) is set, but SSH remoting (${CONFIG_KEYS.hostName}) ` +
        "cannot use it: New-PSSession -HostName takes no password (it would prompt, and vmha's shell is " +
        "non-interactive), only a key. Give the user a key the local ssh client offers (ssh-agent or ~/.ssh) " +
        `and remove the password, or use WinRM (${CONFIG_KEYS.computerName}) with it`,
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
