// Runs any OCF resource agent (ocf:<provider>:<type>, Debian resource-agents) the way Pacemaker
// does: OCF_ROOT, OCF_RESKEY_<param>, OCF_RESOURCE_INSTANCE, a timeout, and the OCF exit codes.
import * as path from "node:path";
import { runCommand } from "../proc/run";

export const OCF_ROOT = "/usr/lib/ocf";

/** OCF exit codes (OCF resource agent API 1.1). */
export const OCF = {
  SUCCESS: 0,
  ERR_GENERIC: 1,
  ERR_ARGS: 2,
  ERR_UNIMPLEMENTED: 3,
  ERR_PERM: 4,
  ERR_INSTALLED: 5,
  ERR_CONFIGURED: 6,
  NOT_RUNNING: 7,
  RUNNING_PROMOTED: 8,
  FAILED_PROMOTED: 9,
} as const;

export const OCF_CODE_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(OCF).map(([k, v]) => [v, k.toLowerCase()]),
);

export type OcfAction =
  | "start"
  | "stop"
  | "monitor"
  | "meta-data"
  | "validate-all"
  | "migrate_to"
  | "migrate_from";

export interface OcfResource {
  /** Instance name (OCF_RESOURCE_INSTANCE). */
  name: string;
  /** "ocf:heartbeat:IPaddr2" */
  agent: string;
  params: Record<string, string>;
}

export interface OcfRun {
  action: OcfAction;
  code: number;
  codeName: string;
  timedOut: boolean;
  ms: number;
  output: string;
}

export function parseAgent(agent: string): { provider: string; type: string; file: string } {
  const m = /^ocf:([A-Za-z0-9_.-]+):([A-Za-z0-9_.-]+)$/.exec(agent);
  if (!m) throw new Error(`resource agent "${agent}" must look like ocf:<provider>:<type>`);
  return { provider: m[1]!, type: m[2]!, file: path.join(OCF_ROOT, "resource.d", m[1]!, m[2]!) };
}

export function ocfEnv(
  r: OcfResource,
  action: OcfAction,
  timeoutMs: number,
  extra: Record<string, string> = {},
): NodeJS.ProcessEnv {
  const { provider, type } = parseAgent(r.agent);
  const env: NodeJS.ProcessEnv = {
    PATH: process.env["PATH"] ?? "/usr/sbin:/usr/bin:/sbin:/bin",
    LC_ALL: "C",
    OCF_ROOT,
    OCF_RA_VERSION_MAJOR: "1",
    OCF_RA_VERSION_MINOR: "1",
    OCF_RESOURCE_INSTANCE: r.name,
    OCF_RESOURCE_TYPE: type,
    OCF_RESOURCE_PROVIDER: provider,
    OCF_RESKEY_CRM_meta_timeout: String(timeoutMs),
    __OCF_ACTION: action,
    ...extra,
  };
  for (const [k, v] of Object.entries(r.params)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k))
      throw new Error(`resource ${r.name}: parameter name "${k}" is not valid for OCF`);
    env[`OCF_RESKEY_${k}`] = v;
  }
  return env;
}

export async function runOcf(
  r: OcfResource,
  action: OcfAction,
  timeoutMs: number,
  extra?: Record<string, string>,
  /** Runs the agent through this command (e.g. nsenter into a lab host's namespaces). */
  prefix: readonly string[] = [],
): Promise<OcfRun> {
  const { file } = parseAgent(r.agent);
  const env = ocfEnv(r, action, timeoutMs, extra);
  const [cmd, ...args] = [...prefix, file, action];
  const res = await runCommand(cmd!, args, { env, timeoutMs });
  // A timed-out or signalled agent is a generic failure, as in Pacemaker.
  const code = res.timedOut || res.code === null ? OCF.ERR_GENERIC : res.code;
  return {
    action,
    code,
    codeName: OCF_CODE_NAMES[code] ?? `exit ${code}`,
    timedOut: res.timedOut,
    ms: res.ms,
    output: (res.stderr + res.stdout).trim().split("\n").slice(-5).join("\n"),
  };
}
